//! Hyperopt's Parzen-estimator building blocks (`tpe.py`), written from the
//! behaviour described in the spec: adaptive bandwidths, linear forgetting,
//! the truncated/quantized Gaussian-mixture densities and samplers, and the
//! categorical posterior. Kept separate so each piece is unit-tested against
//! hand-computed values.

use crate::math::{self, Rng};

/// Hyperopt's `EPS`.
pub const EPS: f64 = 1e-12;

/// A 1-D Gaussian mixture (weights sum to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Gmm {
    /// Component weights.
    pub weights: Vec<f64>,
    /// Component means (sorted, prior included).
    pub mus: Vec<f64>,
    /// Component standard deviations.
    pub sigmas: Vec<f64>,
}

/// `numpy.linspace(a, b, m)`.
fn linspace(a: f64, b: f64, m: usize) -> Vec<f64> {
    match m {
        0 => vec![],
        1 => vec![a],
        _ => (0..m)
            .map(|i| a + (b - a) * i as f64 / (m - 1) as f64)
            .collect(),
    }
}

/// Hyperopt's `linear_forgetting_weights(N, LF)`: ones for `N < LF`, else a
/// ramp from `1/N` to 1 over the oldest `N - LF` points and ones for the rest.
pub fn linear_forgetting_weights(n: usize, lf: usize) -> Vec<f64> {
    if n < lf {
        return vec![1.0; n];
    }
    let mut w = linspace(1.0 / n as f64, 1.0, n - lf);
    w.extend(std::iter::repeat_n(1.0, lf));
    w
}

/// Hyperopt's `adaptive_parzen_normal(mus, prior_weight, prior_mu, prior_sigma, LF)`.
/// `mus` are in trial order (the forgetting weights follow that order).
pub fn adaptive_parzen_normal(
    mus: &[f64],
    prior_weight: f64,
    prior_mu: f64,
    prior_sigma: f64,
    lf: usize,
) -> Gmm {
    let n = mus.len();
    let (srtd, mut sigma, prior_pos, order): (Vec<f64>, Vec<f64>, usize, Vec<usize>) = match n {
        0 => (vec![prior_mu], vec![prior_sigma], 0, vec![]),
        1 => {
            if prior_mu < mus[0] {
                (
                    vec![prior_mu, mus[0]],
                    vec![prior_sigma, 0.5 * prior_sigma],
                    0,
                    vec![0],
                )
            } else {
                (
                    vec![mus[0], prior_mu],
                    vec![0.5 * prior_sigma, prior_sigma],
                    1,
                    vec![0],
                )
            }
        }
        _ => {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| mus[a].total_cmp(&mus[b]));
            let sorted: Vec<f64> = order.iter().map(|&i| mus[i]).collect();
            // searchsorted(..., side="left")
            let pos = sorted.partition_point(|&x| x < prior_mu);
            let mut srtd = Vec::with_capacity(n + 1);
            srtd.extend_from_slice(&sorted[..pos]);
            srtd.push(prior_mu);
            srtd.extend_from_slice(&sorted[pos..]);
            let m = srtd.len();
            let mut sigma = vec![0.0; m];
            for i in 1..m - 1 {
                sigma[i] = (srtd[i] - srtd[i - 1]).max(srtd[i + 1] - srtd[i]);
            }
            sigma[0] = srtd[1] - srtd[0];
            sigma[m - 1] = srtd[m - 1] - srtd[m - 2];
            (srtd, sigma, pos, order)
        }
    };
    let mut weights = vec![1.0; srtd.len()];
    if lf > 0 && lf < n {
        let unsrtd = linear_forgetting_weights(n, lf);
        let mut j = 0;
        for (i, w) in weights.iter_mut().enumerate() {
            if i == prior_pos {
                continue;
            }
            *w = unsrtd[order[j]];
            j += 1;
        }
    }
    weights[prior_pos] = prior_weight;
    let maxsigma = prior_sigma;
    let minsigma = prior_sigma / (100.0f64).min(1.0 + srtd.len() as f64);
    for s in sigma.iter_mut() {
        *s = s.clamp(minsigma, maxsigma);
    }
    sigma[prior_pos] = prior_sigma;
    let total: f64 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= total);
    Gmm {
        weights,
        mus: srtd,
        sigmas: sigma,
    }
}

/// Hyperopt's `normal_cdf(x, mu, sigma)` (sigma floored at `EPS`).
pub fn normal_cdf(x: f64, mu: f64, sigma: f64) -> f64 {
    let z = (x - mu) / (std::f64::consts::SQRT_2 * sigma).max(EPS);
    0.5 * (1.0 + libm::erf(z))
}

/// Hyperopt's `lognormal_cdf`.
pub fn lognormal_cdf(x: f64, mu: f64, sigma: f64) -> f64 {
    let top = libm::log(x.max(EPS)) - mu;
    let z = top / (std::f64::consts::SQRT_2 * sigma).max(EPS);
    0.5 + 0.5 * libm::erf(z)
}

/// Hyperopt's `lognormal_lpdf`.
pub fn lognormal_lpdf(x: f64, mu: f64, sigma: f64) -> f64 {
    let sigma = sigma.max(EPS);
    let z = sigma * x * (2.0 * std::f64::consts::PI).sqrt();
    let e = 0.5 * ((libm::log(x) - mu) / sigma).powi(2);
    -e - libm::log(z)
}

/// Bounds and quantization of a mixture draw (all optional, bounds in the
/// mixture's own coordinate: log space for the log families).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Support {
    /// Lower bound.
    pub low: Option<f64>,
    /// Upper bound.
    pub high: Option<f64>,
    /// Quantization step in value space.
    pub q: Option<f64>,
    /// The mixture lives in log space (`LGMM1`).
    pub log: bool,
}

impl Gmm {
    /// Mass of the mixture inside the bounds (`p_accept`).
    pub fn p_accept(&self, s: &Support) -> f64 {
        match (s.low, s.high) {
            (None, None) => 1.0,
            (lo, hi) => {
                let mut p = 0.0;
                for k in 0..self.mus.len() {
                    let up = hi.map_or(1.0, |h| normal_cdf(h, self.mus[k], self.sigmas[k]));
                    let dn = lo.map_or(0.0, |l| normal_cdf(l, self.mus[k], self.sigmas[k]));
                    p += self.weights[k] * (up - dn);
                }
                p
            }
        }
    }

    /// Hyperopt's `GMM1` / `LGMM1` draw: pick a component, draw a normal,
    /// reject outside `[low, high)` (re-picking the component), then `exp`
    /// for log mixtures and quantize.
    pub fn sample(&self, s: &Support, rng: &mut Rng) -> f64 {
        let mut tries = 0usize;
        let z = loop {
            let k = math::categorical(rng, &self.weights);
            let z = self.mus[k] + self.sigmas[k] * math::std_normal(rng);
            let ok = s.low.is_none_or(|l| l <= z) && s.high.is_none_or(|h| z < h);
            tries += 1;
            if ok {
                break z;
            }
            if tries > 10_000 {
                // Pathological mass outside the bounds: fall back to the prior box.
                break match (s.low, s.high) {
                    (Some(l), Some(h)) => math::uniform(rng, l, h),
                    (Some(l), None) => l,
                    (None, Some(h)) => h,
                    (None, None) => z,
                };
            }
        };
        let x = if s.log { libm::exp(z) } else { z };
        match s.q {
            Some(q) => math::quantize(x, q),
            None => x,
        }
    }

    /// Hyperopt's `GMM1_lpdf` / `LGMM1_lpdf` at value `x` (value space; for
    /// log mixtures `x` is the positive value, not its log). `p_accept` is
    /// passed in because it is the same for every candidate.
    pub fn lpdf(&self, x: f64, s: &Support, p_accept: f64) -> f64 {
        let m = self.mus.len();
        match (s.log, s.q) {
            (false, None) => {
                let mut terms = Vec::with_capacity(m);
                for k in 0..m {
                    let sd = self.sigmas[k];
                    let mahal = ((x - self.mus[k]) / sd.max(EPS)).powi(2);
                    let z = (2.0 * std::f64::consts::PI * sd * sd).sqrt();
                    let coef = self.weights[k] / z / p_accept;
                    terms.push(-0.5 * mahal + libm::log(coef));
                }
                math::logsumexp(&terms)
            }
            (false, Some(q)) => {
                let mut prob = 0.0;
                for k in 0..m {
                    let ub = s.high.map_or(x + q / 2.0, |h| (x + q / 2.0).min(h));
                    let lb = s.low.map_or(x - q / 2.0, |l| (x - q / 2.0).max(l));
                    let w = self.weights[k];
                    prob += w * normal_cdf(ub, self.mus[k], self.sigmas[k])
                        - w * normal_cdf(lb, self.mus[k], self.sigmas[k]);
                }
                libm::log(prob) - libm::log(p_accept)
            }
            (true, None) => {
                let terms: Vec<f64> = (0..m)
                    .map(|k| {
                        lognormal_lpdf(x, self.mus[k], self.sigmas[k]) + libm::log(self.weights[k])
                    })
                    .collect();
                math::logsumexp(&terms)
            }
            (true, Some(q)) => {
                let mut prob = 0.0;
                for k in 0..m {
                    let ub = s
                        .high
                        .map_or(x + q / 2.0, |h| (x + q / 2.0).min(libm::exp(h)));
                    let lb = s
                        .low
                        .map_or(x - q / 2.0, |l| (x - q / 2.0).max(libm::exp(l)))
                        .max(0.0);
                    let w = self.weights[k];
                    prob += w * lognormal_cdf(ub, self.mus[k], self.sigmas[k])
                        - w * lognormal_cdf(lb, self.mus[k], self.sigmas[k]);
                }
                libm::log(prob) - libm::log(p_accept)
            }
        }
    }
}

/// Hyperopt's categorical posterior (`ap_randint_sampler` when `prior` is
/// `None`, `ap_categorical_sampler` with the pchoice prior otherwise).
/// `obs` are category indices in trial order.
pub fn categorical_posterior(
    obs: &[usize],
    k: usize,
    prior_weight: f64,
    prior: Option<&[f64]>,
    lf: usize,
) -> Vec<f64> {
    let w = linear_forgetting_weights(obs.len(), lf);
    let mut counts = vec![0.0; k];
    for (o, wi) in obs.iter().zip(&w) {
        if *o < k {
            counts[*o] += wi;
        }
    }
    match prior {
        None => counts.iter_mut().for_each(|c| *c += prior_weight),
        Some(p) => counts
            .iter_mut()
            .zip(p)
            .for_each(|(c, pi)| *c += k as f64 * prior_weight * pi),
    }
    let s: f64 = counts.iter().sum();
    counts.iter_mut().for_each(|c| *c /= s);
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn forgetting_weights() {
        close(&linear_forgetting_weights(3, 25), &[1.0, 1.0, 1.0]);
        close(&linear_forgetting_weights(25, 25), &[1.0; 25]);
        let w = linear_forgetting_weights(28, 25);
        // ramp of 3 from 1/28 to 1, then 25 ones
        close(&w[..3], &[1.0 / 28.0, (1.0 / 28.0 + 1.0) / 2.0, 1.0]);
        assert!(w[3..].iter().all(|x| *x == 1.0));
    }

    #[test]
    fn parzen_no_obs_is_prior() {
        let g = adaptive_parzen_normal(&[], 1.0, 0.5, 1.0, 25);
        close(&g.weights, &[1.0]);
        close(&g.mus, &[0.5]);
        close(&g.sigmas, &[1.0]);
    }

    #[test]
    fn parzen_one_obs() {
        // prior (mu 0.5, sigma 1) after the point 0.2; point sigma = 0.5 * prior sigma
        let g = adaptive_parzen_normal(&[0.2], 1.0, 0.5, 1.0, 25);
        close(&g.mus, &[0.2, 0.5]);
        close(&g.sigmas, &[0.5, 1.0]);
        close(&g.weights, &[0.5, 0.5]);
    }

    #[test]
    fn parzen_hand_computed() {
        // obs 0.9, 0.1, 0.3 on prior U(0,1): mu 0.5, sigma 1.
        // sorted with prior: [0.1, 0.3, 0.5, 0.9]
        // raw sigmas: [0.2, max(.2,.2)=.2, max(.2,.4)=.4, .4]; clip to [1/min(100, 5), 1] = [0.2, 1]
        // prior sigma forced to 1.
        let g = adaptive_parzen_normal(&[0.9, 0.1, 0.3], 1.0, 0.5, 1.0, 25);
        close(&g.mus, &[0.1, 0.3, 0.5, 0.9]);
        close(&g.sigmas, &[0.2, 0.2, 1.0, 0.4]);
        close(&g.weights, &[0.25; 4]);
    }

    #[test]
    fn parzen_prior_weight() {
        let g = adaptive_parzen_normal(&[0.1, 0.9], 2.0, 0.5, 1.0, 25);
        close(&g.weights, &[0.25, 0.5, 0.25]);
    }

    #[test]
    fn lpdf_single_component_uniform_truncation() {
        // One component N(0.5, 1) truncated to [0, 1): p_accept = Phi(.5) - Phi(-.5)
        let g = Gmm {
            weights: vec![1.0],
            mus: vec![0.5],
            sigmas: vec![1.0],
        };
        let s = Support {
            low: Some(0.0),
            high: Some(1.0),
            q: None,
            log: false,
        };
        let pa = g.p_accept(&s);
        assert!((pa - 0.382_924_922_548_026).abs() < 1e-12);
        let lp = g.lpdf(0.5, &s, pa);
        let expected = -(2.0 * std::f64::consts::PI).sqrt().ln() - pa.ln();
        assert!((lp - expected).abs() < 1e-12);
    }

    #[test]
    fn lpdf_quantized_is_interval_mass() {
        let g = Gmm {
            weights: vec![1.0],
            mus: vec![0.0],
            sigmas: vec![1.0],
        };
        let s = Support {
            low: None,
            high: None,
            q: Some(1.0),
            log: false,
        };
        let lp = g.lpdf(0.0, &s, 1.0);
        let mass = crate::math::norm_cdf(0.5) - crate::math::norm_cdf(-0.5);
        assert!((lp - mass.ln()).abs() < 1e-12);
    }

    #[test]
    fn categorical_posterior_counts() {
        // obs [0, 0, 2] over 3 categories, prior weight 1: counts [3, 1, 2] / 6
        close(
            &categorical_posterior(&[0, 0, 2], 3, 1.0, None, 25),
            &[0.5, 1.0 / 6.0, 1.0 / 3.0],
        );
        // pchoice prior [0.5, 0.25, 0.25]: pseudo = counts + 3*1*p = [2+1.5, 0.75, 1+0.75]
        let p = categorical_posterior(&[0, 0, 2], 3, 1.0, Some(&[0.5, 0.25, 0.25]), 25);
        close(&p, &[3.5 / 6.0, 0.75 / 6.0, 1.75 / 6.0]);
    }
}
