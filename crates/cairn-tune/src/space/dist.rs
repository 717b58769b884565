//! Validated distributions with Hyperopt's exact sampling semantics, their
//! supports, and the "internal" numeric view that model-based samplers use.

use super::expr::DistSpec;
use crate::error::{Result, TuneError};
use crate::math::{self, Rng};
use crate::value::Value;

/// A validated distribution. Choice-like distributions draw an *index*.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Dist {
    Uniform {
        low: f64,
        high: f64,
    },
    QUniform {
        low: f64,
        high: f64,
        q: f64,
    },
    /// Bounds in log space (Hyperopt convention).
    LogUniform {
        low: f64,
        high: f64,
    },
    /// Bounds in log space (Hyperopt convention).
    QLogUniform {
        low: f64,
        high: f64,
        q: f64,
    },
    Normal {
        mu: f64,
        sigma: f64,
    },
    QNormal {
        mu: f64,
        sigma: f64,
        q: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    QLogNormal {
        mu: f64,
        sigma: f64,
        q: f64,
    },
    /// Integers in `[low, upper)`.
    RandInt {
        low: i64,
        upper: i64,
    },
    /// `round(uniform(low, high))` as an integer.
    UniformInt {
        low: f64,
        high: f64,
    },
    /// Index of one of `n` options, uniform.
    Choice {
        n: usize,
    },
    /// Index of one option with prior probabilities.
    PChoice {
        probs: Vec<f64>,
    },
}

/// How a numeric distribution looks to a model-based sampler: values are
/// mapped to an internal coordinate (`ln x` for log families), where the prior
/// is uniform on `bounds` or normal with `(mu, sigma)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Numeric {
    /// Internal coordinate is `ln(value)`.
    pub log: bool,
    /// Quantization step in *value* space.
    pub q: Option<f64>,
    /// Prior bounds in internal coordinates (uniform families).
    pub bounds: Option<(f64, f64)>,
    /// Prior centre and scale in internal coordinates (Hyperopt's prior_mu / prior_sigma).
    pub prior_mu: f64,
    /// See `prior_mu`.
    pub prior_sigma: f64,
    /// Produces integers.
    pub int: bool,
}

fn bad(label: &str, reason: impl Into<String>) -> TuneError {
    TuneError::InvalidDistribution {
        label: label.to_string(),
        reason: reason.into(),
    }
}

fn finite(label: &str, what: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(bad(label, format!("{what} must be finite, got {v}")))
    }
}

fn check_bounds(label: &str, low: f64, high: f64) -> Result<()> {
    finite(label, "low", low)?;
    finite(label, "high", high)?;
    if low < high {
        Ok(())
    } else {
        Err(bad(label, format!("low ({low}) must be < high ({high})")))
    }
}

fn check_q(label: &str, q: f64) -> Result<()> {
    finite(label, "q", q)?;
    if q > 0.0 {
        Ok(())
    } else {
        Err(bad(label, format!("q must be > 0, got {q}")))
    }
}

fn check_sigma(label: &str, mu: f64, sigma: f64) -> Result<()> {
    finite(label, "mu", mu)?;
    finite(label, "sigma", sigma)?;
    if sigma > 0.0 {
        Ok(())
    } else {
        Err(bad(label, format!("sigma must be > 0, got {sigma}")))
    }
}

impl Dist {
    /// Validates raw arguments.
    pub(crate) fn from_spec(label: &str, spec: &DistSpec) -> Result<Dist> {
        Ok(match *spec {
            DistSpec::Uniform { low, high } => {
                check_bounds(label, low, high)?;
                Dist::Uniform { low, high }
            }
            DistSpec::QUniform { low, high, q } => {
                check_bounds(label, low, high)?;
                check_q(label, q)?;
                Dist::QUniform { low, high, q }
            }
            DistSpec::LogUniform { low, high } => {
                check_bounds(label, low, high)?;
                if libm::exp(high) == f64::INFINITY {
                    return Err(bad(label, "exp(high) overflows (bounds are in log space)"));
                }
                Dist::LogUniform { low, high }
            }
            DistSpec::QLogUniform { low, high, q } => {
                check_bounds(label, low, high)?;
                check_q(label, q)?;
                if libm::exp(high) == f64::INFINITY {
                    return Err(bad(label, "exp(high) overflows (bounds are in log space)"));
                }
                Dist::QLogUniform { low, high, q }
            }
            DistSpec::Normal { mu, sigma } => {
                check_sigma(label, mu, sigma)?;
                Dist::Normal { mu, sigma }
            }
            DistSpec::QNormal { mu, sigma, q } => {
                check_sigma(label, mu, sigma)?;
                check_q(label, q)?;
                Dist::QNormal { mu, sigma, q }
            }
            DistSpec::LogNormal { mu, sigma } => {
                check_sigma(label, mu, sigma)?;
                Dist::LogNormal { mu, sigma }
            }
            DistSpec::QLogNormal { mu, sigma, q } => {
                check_sigma(label, mu, sigma)?;
                check_q(label, q)?;
                Dist::QLogNormal { mu, sigma, q }
            }
            DistSpec::RandInt { low, upper } => {
                if upper <= low {
                    return Err(bad(
                        label,
                        format!("randint needs low ({low}) < upper ({upper})"),
                    ));
                }
                if (upper - low) as u64 > (1u64 << 52) {
                    return Err(bad(label, "randint range is too large (max 2^52 values)"));
                }
                Dist::RandInt { low, upper }
            }
            DistSpec::UniformInt { low, high } => {
                check_bounds(label, low, high)?;
                Dist::UniformInt { low, high }
            }
        })
    }

    /// Validates a choice / pchoice.
    pub(crate) fn choice(label: &str, n: usize, probs: Option<&[f64]>) -> Result<Dist> {
        if n == 0 {
            return Err(bad(label, "choice needs at least one option"));
        }
        match probs {
            None => Ok(Dist::Choice { n }),
            Some(p) => {
                if p.len() != n {
                    return Err(bad(label, "pchoice needs one probability per option"));
                }
                if p.iter().any(|x| !x.is_finite() || *x < 0.0) {
                    return Err(bad(label, "pchoice probabilities must be finite and >= 0"));
                }
                let s: f64 = p.iter().sum();
                if (s - 1.0).abs() > 1e-6 {
                    return Err(bad(
                        label,
                        format!("pchoice probabilities must sum to 1, got {s}"),
                    ));
                }
                Ok(Dist::PChoice { probs: p.to_vec() })
            }
        }
    }

    /// Hyperopt's name of the primitive.
    pub fn name(&self) -> &'static str {
        match self {
            Dist::Uniform { .. } => "uniform",
            Dist::QUniform { .. } => "quniform",
            Dist::LogUniform { .. } => "loguniform",
            Dist::QLogUniform { .. } => "qloguniform",
            Dist::Normal { .. } => "normal",
            Dist::QNormal { .. } => "qnormal",
            Dist::LogNormal { .. } => "lognormal",
            Dist::QLogNormal { .. } => "qlognormal",
            Dist::RandInt { .. } => "randint",
            Dist::UniformInt { .. } => "uniformint",
            Dist::Choice { .. } => "choice",
            Dist::PChoice { .. } => "pchoice",
        }
    }

    /// One prior draw, exactly as Hyperopt's `pyll.stochastic` does it
    /// (choice-like distributions return the index as a float).
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        use math::{quantize, std_normal, uniform};
        match *self {
            Dist::Uniform { low, high } => uniform(rng, low, high),
            Dist::QUniform { low, high, q } => quantize(uniform(rng, low, high), q),
            Dist::LogUniform { low, high } => libm::exp(uniform(rng, low, high)),
            Dist::QLogUniform { low, high, q } => quantize(libm::exp(uniform(rng, low, high)), q),
            Dist::Normal { mu, sigma } => mu + sigma * std_normal(rng),
            Dist::QNormal { mu, sigma, q } => quantize(mu + sigma * std_normal(rng), q),
            Dist::LogNormal { mu, sigma } => libm::exp(mu + sigma * std_normal(rng)),
            Dist::QLogNormal { mu, sigma, q } => {
                quantize(libm::exp(mu + sigma * std_normal(rng)), q)
            }
            Dist::RandInt { low, upper } => {
                (low + math::below(rng, (upper - low) as usize) as i64) as f64
            }
            Dist::UniformInt { low, high } => math::round_half_even(uniform(rng, low, high)),
            Dist::Choice { n } => math::below(rng, n) as f64,
            Dist::PChoice { ref probs } => math::categorical(rng, probs) as f64,
        }
    }

    /// Number of categories for categorical families (`randint`, `choice`, `pchoice`).
    pub fn n_categories(&self) -> Option<usize> {
        match *self {
            Dist::RandInt { low, upper } => Some((upper - low) as usize),
            Dist::Choice { n } => Some(n),
            Dist::PChoice { ref probs } => Some(probs.len()),
            _ => None,
        }
    }

    /// Prior probabilities of the categories (categorical families).
    pub fn category_prior(&self) -> Option<Vec<f64>> {
        match self {
            Dist::PChoice { probs } => Some(probs.clone()),
            d => d.n_categories().map(|n| vec![1.0 / n as f64; n]),
        }
    }

    /// Category index → raw value (`randint` adds its offset).
    pub fn category_value(&self, k: usize) -> f64 {
        match *self {
            Dist::RandInt { low, .. } => (low + k as i64) as f64,
            _ => k as f64,
        }
    }

    /// Raw value → category index.
    pub fn category_index(&self, x: f64) -> usize {
        match *self {
            Dist::RandInt { low, .. } => (x as i64 - low) as usize,
            _ => x as usize,
        }
    }

    /// The numeric view for model-based samplers (`None` for categorical families).
    pub fn numeric(&self) -> Option<Numeric> {
        let n = |log, q, bounds: Option<(f64, f64)>, mu, sigma, int| {
            Some(Numeric {
                log,
                q,
                bounds,
                prior_mu: mu,
                prior_sigma: sigma,
                int,
            })
        };
        match *self {
            Dist::Uniform { low, high } => n(
                false,
                None,
                Some((low, high)),
                0.5 * (low + high),
                high - low,
                false,
            ),
            Dist::QUniform { low, high, q } => n(
                false,
                Some(q),
                Some((low, high)),
                0.5 * (low + high),
                high - low,
                false,
            ),
            Dist::UniformInt { low, high } => n(
                false,
                Some(1.0),
                Some((low, high)),
                0.5 * (low + high),
                high - low,
                true,
            ),
            Dist::LogUniform { low, high } => n(
                true,
                None,
                Some((low, high)),
                0.5 * (low + high),
                high - low,
                false,
            ),
            Dist::QLogUniform { low, high, q } => n(
                true,
                Some(q),
                Some((low, high)),
                0.5 * (low + high),
                high - low,
                false,
            ),
            Dist::Normal { mu, sigma } => n(false, None, None, mu, sigma, false),
            Dist::QNormal { mu, sigma, q } => n(false, Some(q), None, mu, sigma, false),
            Dist::LogNormal { mu, sigma } => n(true, None, None, mu, sigma, false),
            Dist::QLogNormal { mu, sigma, q } => n(true, Some(q), None, mu, sigma, false),
            Dist::RandInt { .. } | Dist::Choice { .. } | Dist::PChoice { .. } => None,
        }
    }

    /// Smallest and largest possible *value* (for bounded families), taking
    /// quantization into account (`quniform` may round past `high`).
    pub fn value_range(&self) -> Option<(f64, f64)> {
        use math::quantize;
        Some(match *self {
            Dist::Uniform { low, high } => (low, high),
            Dist::QUniform { low, high, q } => (quantize(low, q), quantize(high, q)),
            Dist::UniformInt { low, high } => {
                (math::round_half_even(low), math::round_half_even(high))
            }
            Dist::LogUniform { low, high } => (libm::exp(low), libm::exp(high)),
            Dist::QLogUniform { low, high, q } => {
                (quantize(libm::exp(low), q), quantize(libm::exp(high), q))
            }
            Dist::RandInt { low, upper } => (low as f64, (upper - 1) as f64),
            Dist::Choice { n } => (0.0, (n - 1) as f64),
            Dist::PChoice { ref probs } => (0.0, (probs.len() - 1) as f64),
            _ => return None,
        })
    }

    /// Maps an internal coordinate back to a valid value: `exp` for log
    /// families, quantization, and clamping into [`Dist::value_range`].
    pub fn from_internal(&self, z: f64) -> f64 {
        let Some(num) = self.numeric() else {
            return z;
        };
        let mut x = if num.log { libm::exp(z) } else { z };
        if let Some(q) = num.q {
            x = math::quantize(x, q);
        }
        if let Some((lo, hi)) = self.value_range() {
            x = x.clamp(lo, hi);
        }
        if matches!(self, Dist::QLogNormal { .. }) {
            x = x.max(0.0);
        }
        x
    }

    /// Value → internal coordinate (`ln` for log families, floored at 1e-12).
    pub fn to_internal(&self, x: f64) -> f64 {
        match self.numeric() {
            Some(num) if num.log => libm::log(x.max(1e-12)),
            _ => x,
        }
    }

    /// Whether `x` is a value this distribution can produce.
    pub fn in_support(&self, x: f64) -> bool {
        if !x.is_finite() {
            return false;
        }
        let on_grid = |q: f64| {
            let r = x / q;
            (r - r.round()).abs() <= 1e-9 * r.abs().max(1.0)
        };
        let in_range = || match self.value_range() {
            Some((lo, hi)) => {
                let tol = 1e-12 * (lo.abs().max(hi.abs()).max(1.0));
                x >= lo - tol && x <= hi + tol
            }
            None => true,
        };
        match *self {
            Dist::Uniform { .. } | Dist::LogUniform { .. } => in_range(),
            Dist::QUniform { q, .. } | Dist::QLogUniform { q, .. } => in_range() && on_grid(q),
            Dist::Normal { .. } => true,
            Dist::QNormal { q, .. } => on_grid(q),
            Dist::LogNormal { .. } => x > 0.0,
            Dist::QLogNormal { q, .. } => x >= 0.0 && on_grid(q),
            Dist::RandInt { .. }
            | Dist::UniformInt { .. }
            | Dist::Choice { .. }
            | Dist::PChoice { .. } => x.fract() == 0.0 && in_range(),
        }
    }

    /// The evaluated value of a raw draw (integers for `randint`/`uniformint`).
    pub fn to_value(&self, x: f64) -> Value {
        match self {
            Dist::RandInt { .. }
            | Dist::UniformInt { .. }
            | Dist::Choice { .. }
            | Dist::PChoice { .. } => Value::Int(x as i64),
            _ => Value::Float(x),
        }
    }

    /// True for distributions whose values form a finite set.
    pub fn is_finite_set(&self) -> bool {
        matches!(
            self,
            Dist::QUniform { .. }
                | Dist::QLogUniform { .. }
                | Dist::RandInt { .. }
                | Dist::UniformInt { .. }
                | Dist::Choice { .. }
                | Dist::PChoice { .. }
        )
    }
}
