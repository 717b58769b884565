//! The C-SVC dual solver: SMO with second-order working-set selection (Fan,
//! Chen and Lin, JMLR 2005, the method libsvm documents) on
//! `min ½ aᵀQa − eᵀa, 0 <= a_i <= C, yᵀa = 0`, stopping when the maximal
//! KKT violation `max_{I_up} −y_t G_t − min_{I_low} −y_t G_t` is below `tol`,
//! as libsvm (scikit-learn's `SVC`) does. It starts from `a = 0` or from a
//! feasible warm start with its exact gradient (see `primal`); either way it
//! stops on the same rule, so it returns a solution of the same problem to
//! the same tolerance.

use super::kernel::KernelRows;
use super::{Kernel, SvcParams};

/// A feasible starting point: `0 <= alpha <= C`, `yᵀalpha = 0`, and
/// `grad = Q alpha − e`.
#[derive(Debug)]
pub(super) struct Start {
    pub(super) alpha: Vec<f64>,
    pub(super) grad: Vec<f64>,
}

/// The solver's answer.
#[derive(Debug)]
pub(super) struct Solution {
    pub(super) alpha: Vec<f64>,
    /// Decision function `sum y_i a_i K(x_i, x) − rho`.
    pub(super) rho: f64,
    /// SMO iterations run (read by the tests that compare solver paths).
    #[cfg_attr(not(test), expect(dead_code))]
    pub(super) iterations: usize,
}

/// LRU cache of kernel rows. An eviction scans the cached rows for the
/// oldest: O(n), no more than computing the row that replaces it.
struct RowCache {
    n: usize,
    rows: Vec<Option<Box<[f32]>>>,
    last_used: Vec<u64>,
    cached: Vec<usize>,
    capacity: usize,
    clock: u64,
}

impl RowCache {
    fn new(n: usize, cache_bytes: usize) -> Self {
        RowCache {
            n,
            rows: vec![None; n],
            last_used: vec![0; n],
            cached: Vec::new(),
            capacity: (cache_bytes / (n * 4).max(1)).max(2),
            clock: 0,
        }
    }

    /// Makes row `i` resident and marks it used.
    fn load(&mut self, i: usize, kernel: &KernelRows<'_>) {
        self.clock += 1;
        self.last_used[i] = self.clock;
        if self.rows[i].is_some() {
            return;
        }
        let mut buf = None;
        if self.cached.len() >= self.capacity {
            let (pos, _) = self
                .cached
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| self.last_used[**r])
                .unwrap_or((0, &0));
            let old = self.cached.swap_remove(pos);
            buf = self.rows[old].take();
        }
        // an evicted row's buffer is reused: no allocation, no fresh pages
        let mut buf = buf.unwrap_or_else(|| vec![0.0f32; self.n].into_boxed_slice());
        kernel.row_into(i, &mut buf);
        self.rows[i] = Some(buf);
        self.cached.push(i);
    }

    /// Row `i`, which must have been loaded (and not evicted since).
    fn row(&self, i: usize) -> &[f32] {
        self.rows[i].as_deref().unwrap_or(&[])
    }
}

/// Solves one binary problem on `x` (row-major, `d` columns) with labels ±1.
pub(super) fn solve(
    x: &[f64],
    d: usize,
    y: &[f64],
    p: &SvcParams,
    kernel: Kernel,
    start: Option<Start>,
) -> Solution {
    let n = y.len();
    let rows = KernelRows::new(x, d, kernel);
    let qd = rows.diagonal();
    let (mut alpha, mut grad) = match start {
        Some(s) if s.alpha.len() == n && s.grad.len() == n => (s.alpha, s.grad),
        _ => (vec![0.0; n], vec![-1.0; n]),
    };
    let c = p.c;
    let mut cache = RowCache::new(n, p.cache_bytes);
    let max_iter = p.max_iter.unwrap_or(usize::MAX);
    let tau = 1e-12;
    // Membership of I_up / I_low only changes for the two updated variables,
    // so it is kept in arrays instead of re-deriving it from alpha in the
    // selection loops (which run over all n rows every iteration).
    let in_up = |t: usize, alpha: &[f64]| {
        if y[t] > 0.0 {
            alpha[t] < c
        } else {
            alpha[t] > 0.0
        }
    };
    let in_low = |t: usize, alpha: &[f64]| {
        if y[t] > 0.0 {
            alpha[t] > 0.0
        } else {
            alpha[t] < c
        }
    };
    let mut up: Vec<bool> = (0..n).map(|t| in_up(t, &alpha)).collect();
    let mut low: Vec<bool> = (0..n).map(|t| in_low(t, &alpha)).collect();
    // Shrinking, as libsvm does it but for the selection only: every
    // min(n, 1000) iterations, bound variables that cannot be part of a
    // violating pair (in I_up only with -yG below the I_low minimum, or in
    // I_low only with -yG above the I_up maximum) leave the active set the
    // selection loops scan. The gradient is still updated for every row, so
    // no reconstruction is needed, and convergence is always confirmed on
    // the full set (unshrinking when the active set alone looks optimal).
    let mut active: Vec<usize> = (0..n).collect();
    let period = n.clamp(1, 1000);
    let mut countdown = period;
    let mut iter = 0;
    while iter < max_iter {
        iter += 1;
        countdown -= 1;
        if countdown == 0 {
            countdown = period;
            let (mut m_up, mut m_low) = (f64::NEG_INFINITY, f64::INFINITY);
            for &t in &active {
                let v = -y[t] * grad[t];
                if up[t] {
                    m_up = m_up.max(v);
                }
                if low[t] {
                    m_low = m_low.min(v);
                }
            }
            active.retain(|&t| {
                let v = -y[t] * grad[t];
                !((up[t] && !low[t] && v < m_low) || (low[t] && !up[t] && v > m_up))
            });
        }
        // i: argmax over I_up of -y G (first index on ties)
        let mut gmax = f64::NEG_INFINITY;
        let mut i_sel = usize::MAX;
        for &t in &active {
            let v = -y[t] * grad[t];
            if up[t] && v > gmax {
                gmax = v;
                i_sel = t;
            }
        }
        if i_sel == usize::MAX {
            if active.len() < n {
                active = (0..n).collect();
                continue;
            }
            break;
        }
        cache.load(i_sel, &rows);
        let ki = cache.row(i_sel);
        // j: second-order choice over I_low
        let mut gmin = f64::INFINITY;
        let mut best = f64::INFINITY;
        let mut j_sel = usize::MAX;
        let qi = qd[i_sel];
        for &t in &active {
            if !low[t] {
                continue;
            }
            let v = -y[t] * grad[t];
            gmin = gmin.min(v);
            let b = gmax - v;
            if b > 0.0 {
                let mut a = qi + qd[t] - 2.0 * f64::from(ki[t]);
                if a <= 0.0 {
                    a = tau;
                }
                let obj = -(b * b) / a;
                if obj < best {
                    best = obj;
                    j_sel = t;
                }
            }
        }
        if gmax - gmin < p.tol || j_sel == usize::MAX {
            if active.len() < n {
                active = (0..n).collect();
                countdown = period;
                continue;
            }
            break;
        }
        let (i, j) = (i_sel, j_sel);
        // loading j cannot evict i: i is the most recently used row
        cache.load(j, &rows);
        let (ki, kj) = (cache.row(i), cache.row(j));
        let mut a = qd[i] + qd[j] - 2.0 * f64::from(ki[j]);
        if a <= 0.0 {
            a = tau;
        }
        // move a_i += y_i t, a_j -= y_j t
        let mut t = (gmax - (-y[j] * grad[j])) / a;
        t = t.min(if y[i] > 0.0 { c - alpha[i] } else { alpha[i] });
        t = t.min(if y[j] > 0.0 { alpha[j] } else { c - alpha[j] });
        if t <= 0.0 {
            break;
        }
        alpha[i] = (alpha[i] + y[i] * t).clamp(0.0, c);
        alpha[j] = (alpha[j] - y[j] * t).clamp(0.0, c);
        for s in [i, j] {
            up[s] = in_up(s, &alpha);
            low[s] = in_low(s, &alpha);
        }
        for (((g, &yk), &a), &b) in grad.iter_mut().zip(y).zip(ki).zip(kj) {
            *g += yk * t * (f64::from(a) - f64::from(b));
        }
    }
    let rho = rho(&alpha, &grad, y, c);
    Solution {
        alpha,
        rho,
        iterations: iter,
    }
}

/// rho from the free vectors (or the middle of the feasible interval when
/// every variable is at a bound), as libsvm computes it.
fn rho(alpha: &[f64], grad: &[f64], y: &[f64], c: f64) -> f64 {
    let (mut ub, mut lb, mut sum, mut nfree) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for t in 0..alpha.len() {
        let yg = y[t] * grad[t];
        if alpha[t] >= c {
            if y[t] < 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else if alpha[t] <= 0.0 {
            if y[t] > 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else {
            sum += yg;
            nfree += 1;
        }
    }
    if nfree > 0 {
        sum / nfree as f64
    } else {
        (ub + lb) / 2.0
    }
}
