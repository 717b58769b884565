//! Kernel values for the SVC solver and for prediction: the two kernels,
//! branch-free `exp` approximations that vectorise, and [`KernelRows`], which
//! computes whole rows of the kernel matrix for the SMO solver.

use super::Kernel;

/// `exp(x)` for `x <= 0` in `f32`, branch-free so kernel rows vectorise
/// (Cody-Waite range reduction + degree-6 Taylor polynomial; relative error
/// about 1e-7, below the `f32` kernel cache's own rounding).
#[inline]
pub(super) fn exp_neg(x: f32) -> f32 {
    let x = x.max(-87.0);
    // round(x / ln 2) with the 1.5 * 2^23 trick (no rounding instruction needed)
    let n = (x * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `exp(x)` for `x <= 0` in `f64`, branch-free so that prediction's kernel
/// values vectorise: Cody-Waite reduction `x = n ln2 + r`, `|r| <= ln2 / 2`,
/// then a degree-13 Taylor polynomial (truncation below 3e-18 relative, so
/// within a few ulps of `f64::exp`; tested). Below -708 it returns
/// `exp(-708)` (~3e-308), which no kernel value can tell from 0.
#[inline]
pub(super) fn exp_neg_f64(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.max(-708.0);
    // round(x / ln 2) with the 1.5 * 2^52 trick
    let n = (x * std::f64::consts::LOG2_E + 6_755_399_441_055_744.0) - 6_755_399_441_055_744.0;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for k in (1..13).rev() {
        p = p * r + 1.0 / FACT[k];
    }
    let p = p * r + 1.0;
    p * f64::from_bits(((n as i64 + 1023) as u64) << 52)
}

/// 0! .. 12!
const FACT: [f64; 13] = [
    1.0,
    1.0,
    2.0,
    6.0,
    24.0,
    120.0,
    720.0,
    5040.0,
    40320.0,
    362_880.0,
    3_628_800.0,
    39_916_800.0,
    479_001_600.0,
];

impl Kernel {
    /// One kernel value in `f64`.
    #[inline]
    pub(super) fn eval(self, a: &[f64], b: &[f64]) -> f64 {
        match self {
            Kernel::Linear => a.iter().zip(b).map(|(x, y)| x * y).sum(),
            Kernel::Rbf { gamma } => {
                let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                (-gamma * d2).exp()
            }
        }
    }
}

/// Rows are computed in blocks of this many entries so that the `f64`
/// accumulators stay in L1 between the per-feature passes.
const BLOCK: usize = 512;

/// Computes rows `K(x_i, x_t)` for all `t`, stored as `f32` (libsvm's
/// `Qfloat`). Dot products run over a column-major copy, one feature at a
/// time across a block of rows, so the inner loop is a plain vector
/// multiply-add; each sum still adds the features in order `0..d`, so the
/// values are those of a row-wise dot product. rbf uses
/// `exp(-g (|a|^2 + |b|^2 - 2 a.b))` as libsvm does.
pub(super) struct KernelRows<'a> {
    x: &'a [f64],
    d: usize,
    n: usize,
    kernel: Kernel,
    cols: Vec<f64>,
    norms: Vec<f64>,
}

impl<'a> KernelRows<'a> {
    /// `x` is row-major with `d` columns.
    pub(super) fn new(x: &'a [f64], d: usize, kernel: Kernel) -> Self {
        let n = x.len().checked_div(d).unwrap_or(0);
        let mut cols = vec![0.0; n * d];
        for (i, r) in x.chunks_exact(d.max(1)).enumerate() {
            for (f, &v) in r.iter().enumerate() {
                cols[f * n + i] = v;
            }
        }
        let norms = x
            .chunks_exact(d.max(1))
            .map(|r| r.iter().map(|v| v * v).sum())
            .collect();
        KernelRows {
            x,
            d,
            n,
            kernel,
            cols,
            norms,
        }
    }

    /// Row `i` of the data.
    #[inline]
    pub(super) fn point(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// `K(x_i, x_i)` for every row.
    pub(super) fn diagonal(&self) -> Vec<f64> {
        (0..self.n)
            .map(|i| self.kernel.eval(self.point(i), self.point(i)))
            .collect()
    }

    /// Writes row `i` into `out` (length `n`).
    pub(super) fn row_into(&self, i: usize, out: &mut [f32]) {
        let xi = self.point(i);
        let ni = self.norms[i];
        let mut acc = [0.0f64; BLOCK];
        for start in (0..self.n).step_by(BLOCK) {
            let len = BLOCK.min(self.n - start);
            let acc = &mut acc[..len];
            acc.fill(0.0);
            for (f, &v) in xi.iter().enumerate() {
                let col = &self.cols[f * self.n + start..f * self.n + start + len];
                for (a, &c) in acc.iter_mut().zip(col) {
                    *a += v * c;
                }
            }
            let out = &mut out[start..start + len];
            match self.kernel {
                Kernel::Linear => {
                    for (o, &a) in out.iter_mut().zip(acc.iter()) {
                        *o = a as f32;
                    }
                }
                Kernel::Rbf { gamma } => {
                    let norms = &self.norms[start..start + len];
                    // the exponent first, then a tight exp loop the compiler
                    // vectorises (fused, neither loop vectorises)
                    for ((o, &a), &nt) in out.iter_mut().zip(acc.iter()).zip(norms) {
                        *o = (-(gamma * (ni + nt - 2.0 * a).max(0.0))) as f32;
                    }
                    out.iter_mut().for_each(|v| *v = exp_neg(*v));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_is_accurate() {
        for i in 0..2000 {
            let x = -(i as f32) * 0.05;
            let (a, b) = (exp_neg(x), x.exp());
            assert!((a - b).abs() <= 2e-7 * b + 1e-37, "{x}: {a} vs {b}");
        }
        assert_eq!(exp_neg(-1000.0), exp_neg(-87.0));
        assert_eq!(exp_neg(0.0), 1.0);
    }

    #[test]
    fn fast_f64_exp_matches_std() {
        let mut worst: f64 = 0.0;
        for i in 0..200_000 {
            let x = -(i as f64) * 0.003_7;
            let (a, b) = (exp_neg_f64(x), x.exp());
            if b > 1e-300 {
                worst = worst.max((a - b).abs() / b);
            }
        }
        assert!(worst < 1e-14, "max relative error {worst}");
        assert_eq!(exp_neg_f64(0.0), 1.0);
        assert!(exp_neg_f64(-1e6) < 1e-300 && exp_neg_f64(-1e6) >= 0.0);
    }

    #[test]
    fn rows_match_pointwise_kernel() {
        // 1,100 points (more than one block) in 3 dimensions
        let x: Vec<f64> = (0..3300)
            .map(|k| ((k * 37 % 101) as f64) / 50.0 - 1.0)
            .collect();
        for kernel in [Kernel::Linear, Kernel::Rbf { gamma: 0.7 }] {
            let rows = KernelRows::new(&x, 3, kernel);
            let mut out = vec![0.0f32; 1100];
            for i in [0, 511, 512, 1099] {
                rows.row_into(i, &mut out);
                for (t, &v) in out.iter().enumerate() {
                    let want = kernel.eval(rows.point(i), rows.point(t));
                    assert!((f64::from(v) - want).abs() <= 1e-6 * want.abs().max(1.0));
                }
            }
        }
    }
}
