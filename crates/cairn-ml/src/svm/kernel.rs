//! Kernel values for the SVC solver and for prediction: the two kernels,
//! branch-free `exp` approximations that vectorise, and [`KernelRows`], which
//! computes whole rows of the kernel matrix for the SMO solver.
//!
//! The row loops run under [`pulp::Arch::dispatch`]: on a CPU with AVX2 the
//! same plain loops are compiled a second time with those instructions
//! enabled (chosen at run time, so the binary still runs on any x86-64).
//! Rust never fuses a multiply and an add on its own, so both versions do
//! the same IEEE operations in the same order: the values are bit for bit
//! those of the baseline build (tested), only more lanes wide.

use super::Kernel;

/// `exp(x)` for `x <= 0` in `f32`, branch-free so kernel rows vectorise
/// (Cody-Waite range reduction + degree-6 Taylor polynomial; relative error
/// about 1e-7, below the `f32` kernel cache's own rounding).
#[inline(always)]
pub(super) fn exp_neg(x: f32) -> f32 {
    let x = x.max(-87.0);
    // round(x / ln 2) with the 1.5 * 2^23 trick (no rounding instruction needed)
    let n = (x * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^n from n's bits in the magic-number sum (|n| < 2^22): integer
    // arithmetic only, since a float-to-int `as` cast saturates, which the
    // compiler cannot vectorise
    let biased = (n + 12_582_912.0)
        .to_bits()
        .wrapping_sub(0x4B40_0000)
        .wrapping_add(127);
    p * f32::from_bits(biased << 23)
}

/// `exp(x)` for `x <= 0` in `f64`, branch-free so that prediction's kernel
/// values vectorise: Cody-Waite reduction `x = n ln2 + r`, `|r| <= ln2 / 2`,
/// then a degree-13 Taylor polynomial (truncation below 3e-18 relative, so
/// within a few ulps of `f64::exp`; tested). Below -708 it returns
/// `exp(-708)` (~3e-308), which no kernel value can tell from 0.
#[inline(always)]
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
    // 2^n from n's bits, integer arithmetic only (see `exp_neg`)
    let biased = (n + 6_755_399_441_055_744.0)
        .to_bits()
        .wrapping_sub(0x4338_0000_0000_0000)
        .wrapping_add(1023);
    p * f64::from_bits(biased << 52)
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

/// `acc[t] = Σ_f x_f cols[f n + start + t]`, adding the features in order
/// `0..d` to 0.0 (so each sum is a row-wise dot product's, bit for bit).
/// Four features per pass keep the running sums in registers: one load and
/// one store of `acc` per four multiply-adds instead of per one. The first
/// pass starts from the constant 0.0 instead of reading `acc`, so `acc`
/// needs no clearing.
#[inline(always)]
fn dot_block(x: &[f64], cols: &[f64], n: usize, start: usize, acc: &mut [f64]) {
    let len = acc.len();
    let col = |f: usize| &cols[f * n + start..f * n + start + len];
    let mut quads = x.chunks_exact(4);
    let mut f = 0;
    for q in &mut quads {
        let (c0, c1, c2, c3) = (col(f), col(f + 1), col(f + 2), col(f + 3));
        let fresh = f == 0;
        for t in 0..len {
            let mut a = if fresh { 0.0 } else { acc[t] };
            a += q[0] * c0[t];
            a += q[1] * c1[t];
            a += q[2] * c2[t];
            a += q[3] * c3[t];
            acc[t] = a;
        }
        f += 4;
    }
    if f == 0 {
        acc.fill(0.0);
    }
    for &v in quads.remainder() {
        for (a, &c) in acc.iter_mut().zip(col(f)) {
            *a += v * c;
        }
        f += 1;
    }
}

/// Computes rows `K(x_i, x_t)` for all `t`, stored as `f32` (libsvm's
/// `Qfloat`). Dot products run over a column-major copy, one feature at a
/// time across a block of rows, so the inner loop is a plain vector
/// multiply-add; each sum still adds the features in order `0..d`, so the
/// values are those of a row-wise dot product. rbf uses
/// `exp(-g (|a|^2 + |b|^2 - 2 a.b))` as libsvm does.
pub(super) struct KernelRows<'a> {
    arch: pulp::Arch,
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
            arch: pulp::Arch::new(),
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
        self.arch.dispatch(RowOp { rows: self, i, out });
    }

    /// `row_into`'s loops, inlined into each dispatched instruction set.
    #[inline(always)]
    fn row_body(&self, i: usize, out: &mut [f32]) {
        let xi = self.point(i);
        let ni = self.norms[i];
        let mut acc = [0.0f64; BLOCK];
        for start in (0..self.n).step_by(BLOCK) {
            let len = BLOCK.min(self.n - start);
            let acc = &mut acc[..len];
            dot_block(xi, &self.cols, self.n, start, acc);
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

/// [`KernelRows::row_into`] as a [`pulp::WithSimd`] operation. (A closure
/// given to `dispatch` was not inlined into the AVX2 instantiation; the
/// trait method with `#[inline(always)]` is.)
struct RowOp<'r, 'a> {
    rows: &'r KernelRows<'a>,
    i: usize,
    out: &'r mut [f32],
}

impl pulp::WithSimd for RowOp<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.rows.row_body(self.i, self.out);
    }
}

/// Support vectors in column-major order for prediction: `exp(−g |x − s|²)`
/// for one input `x` against every support vector, computed as
/// `|x|² + |s|² − 2 x·s` so the inner loops run across support vectors and
/// vectorise (in `f64`, with the `f64` exp: prediction keeps full precision).
#[derive(Debug)]
pub(super) struct SupportColumns {
    arch: pulp::Arch,
    n: usize,
    cols: Vec<f64>,
    norms: Vec<f64>,
}

impl SupportColumns {
    /// `sv` is row-major with `d` columns.
    pub(super) fn new(sv: &[f64], d: usize) -> Self {
        let n = sv.len().checked_div(d).unwrap_or(0);
        let mut cols = vec![0.0; n * d];
        for (i, r) in sv.chunks_exact(d.max(1)).enumerate() {
            for (f, &v) in r.iter().enumerate() {
                cols[f * n + i] = v;
            }
        }
        let norms = sv
            .chunks_exact(d.max(1))
            .map(|r| r.iter().map(|v| v * v).sum())
            .collect();
        SupportColumns {
            arch: pulp::Arch::new(),
            n,
            cols,
            norms,
        }
    }

    /// `out[s] = exp(−gamma |x − sv_s|²)`; `out` has one entry per vector.
    pub(super) fn rbf_into(&self, x: &[f64], gamma: f64, out: &mut [f64]) {
        self.arch.dispatch(SupportOp {
            support: self,
            x,
            gamma,
            out,
        });
    }

    /// `rbf_into`'s loops, inlined into each dispatched instruction set.
    #[inline(always)]
    fn rbf_body(&self, x: &[f64], gamma: f64, out: &mut [f64]) {
        let nx: f64 = x.iter().map(|v| v * v).sum();
        for start in (0..self.n).step_by(BLOCK) {
            let len = BLOCK.min(self.n - start);
            let out = &mut out[start..start + len];
            dot_block(x, &self.cols, self.n, start, out);
            for (o, &ns) in out.iter_mut().zip(&self.norms[start..start + len]) {
                *o = -(gamma * (nx + ns - 2.0 * *o).max(0.0));
            }
            out.iter_mut().for_each(|v| *v = exp_neg_f64(*v));
        }
    }
}

/// [`SupportColumns::rbf_into`] as a [`pulp::WithSimd`] operation.
struct SupportOp<'r> {
    support: &'r SupportColumns,
    x: &'r [f64],
    gamma: f64,
    out: &'r mut [f64],
}

impl pulp::WithSimd for SupportOp<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.support.rbf_body(self.x, self.gamma, self.out);
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
    fn support_columns_match_pointwise_rbf() {
        let sv: Vec<f64> = (0..2100)
            .map(|k| ((k * 53 % 97) as f64) / 30.0 - 1.5)
            .collect();
        let cols = SupportColumns::new(&sv, 3);
        let x = [0.3, -1.2, 2.0];
        let mut out = vec![0.0; 700];
        cols.rbf_into(&x, 0.4, &mut out);
        for (s, &v) in out.iter().enumerate() {
            let want = Kernel::Rbf { gamma: 0.4 }.eval(&x, &sv[s * 3..s * 3 + 3]);
            assert!(
                (v - want).abs() <= 1e-12 * want.max(1e-300) + 1e-300,
                "{v} {want}"
            );
        }
    }

    #[test]
    fn dispatched_loops_give_the_baseline_bits() {
        // rows and prediction values from the instruction set chosen at run
        // time (AVX2 where the CPU has it) against the x86-64 baseline build
        // of the same loops: identical bits, not merely close
        let x: Vec<f64> = (0..4000)
            .map(|k| ((k * 59 % 103) as f64) / 40.0 - 1.2)
            .collect();
        for kernel in [Kernel::Linear, Kernel::Rbf { gamma: 0.3 }] {
            let fast = KernelRows::new(&x, 8, kernel);
            let mut base = KernelRows::new(&x, 8, kernel);
            base.arch = pulp::Arch::Scalar;
            let (mut a, mut b) = (vec![0.0f32; 500], vec![0.0f32; 500]);
            for i in [0, 17, 499] {
                fast.row_into(i, &mut a);
                base.row_into(i, &mut b);
                assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
            }
        }
        let fast = SupportColumns::new(&x, 8);
        let mut base = SupportColumns::new(&x, 8);
        base.arch = pulp::Arch::Scalar;
        let (mut a, mut b) = (vec![0.0; 500], vec![0.0; 500]);
        fast.rbf_into(&x[16..24], 0.3, &mut a);
        base.rbf_into(&x[16..24], 0.3, &mut b);
        assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
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
