//! Portable numerics: random draws and special functions with bit-identical
//! results on every platform.
//!
//! All transcendental functions go through the pure-Rust `libm` crate instead of
//! the platform's C library, and every random draw is built from raw `u64`s of
//! the caller's generator, so a seed gives the same trajectory everywhere.

use rand::RngCore;

/// The named, seedable generator used by every sampler.
pub type Rng = rand_pcg::Pcg64;

/// Builds the generator from a 64-bit seed.
pub fn rng_from_seed(seed: u64) -> Rng {
    use rand::SeedableRng;
    Rng::seed_from_u64(seed)
}

/// Uniform draw in `[0, 1)` with 53 random bits.
#[inline]
pub fn uniform01(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform draw in `[low, high)`.
#[inline]
pub fn uniform(rng: &mut impl RngCore, low: f64, high: f64) -> f64 {
    low + (high - low) * uniform01(rng)
}

/// Uniform integer in `[0, n)` (multiply-shift; bias below 2^-64·n).
#[inline]
pub fn below(rng: &mut impl RngCore, n: usize) -> usize {
    debug_assert!(n > 0);
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

/// Standard normal draw (Box–Muller, one value per two `u64`s).
#[inline]
pub fn std_normal(rng: &mut impl RngCore) -> f64 {
    // 1 - u is in (0, 1], so the log is finite.
    let u1 = 1.0 - uniform01(rng);
    let u2 = uniform01(rng);
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
}

/// Draws an index from (unnormalized, non-negative) weights.
pub fn categorical(rng: &mut impl RngCore, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = uniform01(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    // Rounding: fall back to the last index with positive weight.
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// Standard normal CDF.
#[inline]
pub fn norm_cdf(z: f64) -> f64 {
    0.5 * (1.0 + libm::erf(z * std::f64::consts::FRAC_1_SQRT_2))
}

/// `ln(sqrt(2π))`.
pub const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Log density of `N(mu, sigma)` at `x`.
#[inline]
pub fn norm_logpdf(x: f64, mu: f64, sigma: f64) -> f64 {
    let z = (x - mu) / sigma;
    -0.5 * z * z - libm::log(sigma) - LN_SQRT_2PI
}

/// `ln Σ exp(a_i)`, `-inf` for an empty slice.
pub fn logsumexp(a: &[f64]) -> f64 {
    let m = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    let s: f64 = a.iter().map(|v| libm::exp(v - m)).sum();
    m + libm::log(s)
}

/// Round half to even (numpy's `round`).
#[inline]
pub fn round_half_even(x: f64) -> f64 {
    x.round_ties_even()
}

/// Quantize like Hyperopt: `round(x / q) * q`.
#[inline]
pub fn quantize(x: f64, q: f64) -> f64 {
    round_half_even(x / q) * q
}

/// Draw from `N(mu, sigma)` truncated to `[low, high]` by inverse CDF
/// (robust in the tails by working on the nearer side).
pub fn truncnorm(rng: &mut impl RngCore, mu: f64, sigma: f64, low: f64, high: f64) -> f64 {
    let a = (low - mu) / sigma;
    let b = (high - mu) / sigma;
    let u = uniform01(rng);
    let z = if a > 0.0 {
        // upper tail: use survival functions for precision
        let sa = norm_cdf(-a);
        let sb = norm_cdf(-b);
        -ndtri(sa - u * (sa - sb))
    } else {
        let fa = norm_cdf(a);
        let fb = norm_cdf(b);
        ndtri(fa + u * (fb - fa))
    };
    (mu + sigma * z).clamp(low, high)
}

/// Inverse of the standard normal CDF (Acklam's rational approximation refined
/// by one Halley step; |error| < 1e-14 in the bulk). Returns ±inf at 0 / 1.
pub fn ndtri(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let plow = 0.024_25;
    let x = if p < plow {
        let q = libm::sqrt(-2.0 * libm::log(p));
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = libm::sqrt(-2.0 * libm::log(1.0 - p));
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley refinement step.
    let e = norm_cdf(x) - p;
    let u = e * libm::exp(0.5 * x * x) * (2.0 * std::f64::consts::PI).sqrt();
    x - u / (1.0 + 0.5 * x * u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndtri_inverts_cdf() {
        for p in [1e-10, 0.001, 0.02, 0.3, 0.5, 0.7, 0.99, 1.0 - 1e-9] {
            assert!((norm_cdf(ndtri(p)) - p).abs() < 1e-12 * p.max(1e-3), "{p}");
        }
    }

    #[test]
    fn logsumexp_basic() {
        let v = logsumexp(&[0.0, 0.0]);
        assert!((v - 2f64.ln()).abs() < 1e-15);
        assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
    }

    #[test]
    fn quantize_is_half_even() {
        assert_eq!(quantize(2.5, 1.0), 2.0);
        assert_eq!(quantize(3.5, 1.0), 4.0);
        assert_eq!(quantize(10.0, 4.0), 8.0);
    }

    #[test]
    fn truncnorm_stays_inside() {
        let mut r = rng_from_seed(1);
        for _ in 0..1000 {
            let x = truncnorm(&mut r, 0.0, 1.0, 5.0, 6.0);
            assert!((5.0..=6.0).contains(&x));
        }
    }
}
