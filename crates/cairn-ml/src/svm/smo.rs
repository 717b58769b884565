//! The C-SVC dual solver: SMO with second-order working-set selection (Fan,
//! Chen and Lin, JMLR 2005, the method libsvm documents) on
//! `min ½ aᵀQa − eᵀa, 0 <= a_i <= C, yᵀa = 0`, stopping when the maximal
//! KKT violation `max_{I_up} −y_t G_t − min_{I_low} −y_t G_t` is below `tol`,
//! as libsvm (scikit-learn's `SVC`) does. It starts from `a = 0` or from a
//! feasible warm start with its exact gradient (see `primal`); either way it
//! stops on the same rule, so it returns a solution of the same problem to
//! the same tolerance.

use super::kernel::KernelRows;
use super::pool;
use super::{Kernel, SvcParams};

/// A feasible starting point: `0 <= alpha <= C`, `yᵀalpha = 0`,
/// `grad = Q alpha − e` and `g_bar = Σ_{alpha_j = C} C Q_·j`.
#[derive(Debug)]
pub(super) struct Start {
    pub(super) alpha: Vec<f64>,
    pub(super) grad: Vec<f64>,
    pub(super) g_bar: Vec<f64>,
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
        // an evicted row's buffer is reused, else an earlier fit's (`pool`):
        // no allocation, no fresh pages
        let mut buf = buf.unwrap_or_else(|| pool::take(self.n));
        kernel.row_into(i, &mut buf[..self.n]);
        self.rows[i] = Some(buf);
        self.cached.push(i);
    }

    /// Row `i`, which must have been loaded (and not evicted since).
    fn row(&self, i: usize) -> &[f32] {
        self.rows[i].as_deref().map_or(&[], |r| &r[..self.n])
    }
}

impl Drop for RowCache {
    fn drop(&mut self) {
        pool::give_back(self.rows.iter_mut().filter_map(Option::take));
    }
}

/// The variables the selection and the gradient update work on.
struct ActiveSet {
    list: Vec<usize>,
    mask: Vec<bool>,
}

impl ActiveSet {
    /// Rebuilds the gradient of the inactive rows from `g_bar` and the free
    /// variables' kernel rows, then makes every row active.
    fn unshrink(
        &mut self,
        grad: &mut [f64],
        alpha: &[f64],
        g_bar: &[f64],
        y: &[f64],
        c: f64,
        (rows, cache): (&KernelRows<'_>, &mut RowCache),
    ) {
        let n = grad.len();
        if self.list.len() == n {
            return;
        }
        let inactive: Vec<usize> = (0..n).filter(|&t| !self.mask[t]).collect();
        for &t in &inactive {
            grad[t] = g_bar[t] - 1.0;
        }
        for j in 0..n {
            if alpha[j] > 0.0 && alpha[j] < c {
                cache.load(j, rows);
                let kj = cache.row(j);
                let s = y[j] * alpha[j];
                for &t in &inactive {
                    grad[t] += y[t] * s * f64::from(kj[t]);
                }
            }
        }
        self.list = (0..n).collect();
        self.mask.fill(true);
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
    let arch = pulp::Arch::new();
    let (mut alpha, mut grad, mut g_bar) = match start {
        Some(s) if s.alpha.len() == n && s.grad.len() == n && s.g_bar.len() == n => {
            (s.alpha, s.grad, s.g_bar)
        }
        _ => (vec![0.0; n], vec![-1.0; n], vec![0.0; n]),
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
    // Shrinking as libsvm does it. Every min(n, 1000) iterations, bound
    // variables that cannot be part of a violating pair (in I_up only with
    // -yG below the I_low minimum, or in I_low only with -yG above the I_up
    // maximum) leave the active set; selection and the gradient update then
    // run over the active rows only. `g_bar[t] = Σ_{a_j = C} C Q_tj` is kept
    // exact for every row, so an inactive row's gradient is rebuilt from the
    // free variables alone: G_t = g_bar_t − 1 + Σ_{0 < a_j < C} a_j Q_tj
    // (libsvm's reconstruction). Convergence is always confirmed on the full
    // set, so the stopping rule is the unshrunk one.
    let at_upper = |a: f64| a >= c;
    let mut set = ActiveSet {
        list: (0..n).collect(),
        mask: vec![true; n],
    };
    let period = n.clamp(1, 1000);
    let mut countdown = period;
    let mut unshrunk_once = false;
    let mut next_i: Option<(f64, usize)> = None;
    let mut iter = 0;
    while iter < max_iter {
        iter += 1;
        countdown -= 1;
        if countdown == 0 {
            countdown = period;
            next_i = None;
            // libsvm rebuilds the full gradient once, the first time the
            // violation is within 10 tol, so that variables shrunk early on
            // stale evidence get another chance before the end game
            let (mut m_up, mut m_low) = extremes(&set.list, y, &grad, &up, &low);
            if !unshrunk_once && m_up - m_low <= 10.0 * p.tol {
                unshrunk_once = true;
                set.unshrink(&mut grad, &alpha, &g_bar, y, c, (&rows, &mut cache));
                (m_up, m_low) = extremes(&set.list, y, &grad, &up, &low);
            }
            let mask = &mut set.mask;
            set.list.retain(|&t| {
                let v = -y[t] * grad[t];
                let keep = !((up[t] && !low[t] && v < m_low) || (low[t] && !up[t] && v > m_up));
                mask[t] = keep;
                keep
            });
        }
        // i: argmax over I_up of -y G (first index on ties), found by the
        // previous iteration's gradient update unless the active set changed
        let (gmax, i_sel) = match next_i.take() {
            Some(found) => found,
            None => {
                let mut found = (f64::NEG_INFINITY, usize::MAX);
                for &t in &set.list {
                    let v = -y[t] * grad[t];
                    if up[t] && v > found.0 {
                        found = (v, t);
                    }
                }
                found
            }
        };
        if i_sel == usize::MAX {
            if set.list.len() < n {
                set.unshrink(&mut grad, &alpha, &g_bar, y, c, (&rows, &mut cache));
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
        let (y, grad_n, low_n, qd_n, ki) = (&y[..n], &grad[..n], &low[..n], &qd[..n], &ki[..n]);
        for &t in &set.list {
            if !low_n[t] {
                continue;
            }
            let v = -y[t] * grad_n[t];
            gmin = gmin.min(v);
            let b = gmax - v;
            if b > 0.0 {
                let mut a = qi + qd_n[t] - 2.0 * f64::from(ki[t]);
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
            if set.list.len() < n {
                set.unshrink(&mut grad, &alpha, &g_bar, y, c, (&rows, &mut cache));
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
        let (old_i, old_j) = (alpha[i], alpha[j]);
        alpha[i] = (alpha[i] + y[i] * t).clamp(0.0, c);
        alpha[j] = (alpha[j] - y[j] * t).clamp(0.0, c);
        for s in [i, j] {
            up[s] = in_up(s, &alpha);
            low[s] = in_low(s, &alpha);
        }
        // G changes by y_k t (K_ki − K_kj) on the rows that are tracked; the
        // same pass finds the next iteration's i (one pass over the active
        // rows instead of two)
        let mut found = (f64::NEG_INFINITY, usize::MAX);
        if set.list.len() == n {
            // the update vectorises (under `arch`) once it is apart from the
            // arg-max, which then reads the fresh gradient in a second pass
            arch.dispatch(AddScaledDiff {
                out: &mut grad,
                y,
                f: t,
                a: ki,
                b: Some(kj),
            });
            for (k, (&g, &yk)) in grad.iter().zip(y).enumerate() {
                let v = -yk * g;
                if up[k] && v > found.0 {
                    found = (v, k);
                }
            }
        } else {
            // one length for every slice: one bounds check per row
            let (grad, y, up, ki, kj) = (&mut grad[..n], &y[..n], &up[..n], &ki[..n], &kj[..n]);
            for &k in &set.list {
                let g = grad[k] + y[k] * t * (f64::from(ki[k]) - f64::from(kj[k]));
                grad[k] = g;
                let v = -y[k] * g;
                if up[k] && v > found.0 {
                    found = (v, k);
                }
            }
        }
        next_i = Some(found);
        for (s, old, row) in [(i, old_i, ki), (j, old_j, kj)] {
            if at_upper(old) != at_upper(alpha[s]) {
                let sign = if at_upper(alpha[s]) { c } else { -c };
                arch.dispatch(AddScaledDiff {
                    out: &mut g_bar,
                    y,
                    f: sign * y[s],
                    a: row,
                    b: None,
                });
            }
        }
    }
    set.unshrink(&mut grad, &alpha, &g_bar, y, c, (&rows, &mut cache));
    let rho = rho(&alpha, &grad, y, c);
    Solution {
        alpha,
        rho,
        iterations: iter,
    }
}

/// `out[t] += y[t] f (a[t] − b[t])` (or `y[t] f a[t]` without `b`) for
/// every `t`: the gradient update and the `g_bar` update, as a
/// [`pulp::WithSimd`] operation so that it runs as wide as the CPU allows
/// (the same operations in the same order, so the same bits as the scalar
/// loop).
struct AddScaledDiff<'a> {
    out: &'a mut [f64],
    y: &'a [f64],
    f: f64,
    a: &'a [f32],
    b: Option<&'a [f32]>,
}

impl pulp::WithSimd for AddScaledDiff<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let f = self.f;
        match self.b {
            Some(b) => {
                for (((o, &yt), &a), &b) in self.out.iter_mut().zip(self.y).zip(self.a).zip(b) {
                    *o += yt * f * (f64::from(a) - f64::from(b));
                }
            }
            None => {
                for ((o, &yt), &a) in self.out.iter_mut().zip(self.y).zip(self.a) {
                    *o += f * yt * f64::from(a);
                }
            }
        }
    }
}

/// `(max over I_up, min over I_low)` of `−y G` among the rows `list`.
fn extremes(list: &[usize], y: &[f64], grad: &[f64], up: &[bool], low: &[bool]) -> (f64, f64) {
    let (mut m_up, mut m_low) = (f64::NEG_INFINITY, f64::INFINITY);
    for &t in list {
        let v = -y[t] * grad[t];
        if up[t] {
            m_up = m_up.max(v);
        }
        if low[t] {
            m_low = m_low.min(v);
        }
    }
    (m_up, m_low)
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
