//! The *unvalidated* description of a search space: [`Expr`], built either with
//! the [`hp`](crate::hp) functions in Rust or parsed from JSON/YAML.
//!
//! Serialized form: any JSON/YAML value is a literal, except an object with the
//! key `"$hp"`, which is a hyperparameter:
//!
//! ```json
//! {"$hp": "uniform", "label": "x", "low": -5, "high": 10}
//! {"$hp": "choice", "label": "model", "options": [ ...nested spaces... ]}
//! {"$hp": "pchoice", "label": "m", "options": [[0.2, "a"], [0.8, "b"]]}
//! {"$hp": "randint", "label": "k", "upper": 10}          (or "low" + "upper")
//! ```
//! Argument names follow Hyperopt (`low`, `high`, `q`, `mu`, `sigma`, `upper`);
//! `loguniform`/`qloguniform` bounds are in log space as in Hyperopt. A missing
//! `label` defaults to the dotted path of map keys leading to the node.
//! Nothing is checked here beyond the shape: bounds, labels and emptiness are
//! validated by [`Space::new`](crate::Space::new).

use crate::error::{Result, TuneError};
use serde_json::{Map, Value as J};

/// Distribution of a non-choice hyperparameter (raw arguments, unchecked).
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum DistSpec {
    Uniform {
        low: f64,
        high: f64,
    },
    QUniform {
        low: f64,
        high: f64,
        q: f64,
    },
    LogUniform {
        low: f64,
        high: f64,
    },
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
    /// Integers `low..=high`, endpoints with half mass (`round(uniform)`).
    UniformInt {
        low: f64,
        high: f64,
    },
}

impl DistSpec {
    /// Hyperopt's name of the primitive.
    pub fn name(&self) -> &'static str {
        match self {
            DistSpec::Uniform { .. } => "uniform",
            DistSpec::QUniform { .. } => "quniform",
            DistSpec::LogUniform { .. } => "loguniform",
            DistSpec::QLogUniform { .. } => "qloguniform",
            DistSpec::Normal { .. } => "normal",
            DistSpec::QNormal { .. } => "qnormal",
            DistSpec::LogNormal { .. } => "lognormal",
            DistSpec::QLogNormal { .. } => "qlognormal",
            DistSpec::RandInt { .. } => "randint",
            DistSpec::UniformInt { .. } => "uniformint",
        }
    }
}

/// An unvalidated search-space expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `null` literal.
    Null,
    /// Boolean literal.
    Bool(bool),
    /// Integer literal.
    Int(i64),
    /// Float literal.
    Float(f64),
    /// String literal.
    Str(String),
    /// List of sub-expressions.
    List(Vec<Expr>),
    /// Map of sub-expressions (key order kept).
    Map(Vec<(String, Expr)>),
    /// A non-choice hyperparameter.
    Param {
        /// Unique label.
        label: String,
        /// Distribution.
        dist: DistSpec,
    },
    /// `hp.choice` (probs `None`) or `hp.pchoice` (probs given).
    Choice {
        /// Unique label.
        label: String,
        /// Options, each possibly containing further hyperparameters.
        options: Vec<Expr>,
        /// Prior probabilities for `pchoice`.
        probs: Option<Vec<f64>>,
    },
}

impl Expr {
    /// A map literal from `(key, expr)` pairs.
    pub fn map<K: Into<String>, V: Into<Expr>>(items: impl IntoIterator<Item = (K, V)>) -> Expr {
        Expr::Map(
            items
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
    /// A list literal.
    pub fn list<V: Into<Expr>>(items: impl IntoIterator<Item = V>) -> Expr {
        Expr::List(items.into_iter().map(Into::into).collect())
    }

    /// Parses the JSON form (see the module docs).
    pub fn from_json_str(s: &str) -> Result<Expr> {
        let v: J = serde_json::from_str(s).map_err(|e| TuneError::Parse {
            format: "JSON",
            message: e.to_string(),
        })?;
        Expr::from_json(&v)
    }
    /// Parses the YAML form (same structure as JSON).
    pub fn from_yaml_str(s: &str) -> Result<Expr> {
        let v: J = serde_yaml_ng::from_str(s).map_err(|e| TuneError::Parse {
            format: "YAML",
            message: e.to_string(),
        })?;
        Expr::from_json(&v)
    }
    /// Converts a JSON value (see the module docs).
    pub fn from_json(v: &J) -> Result<Expr> {
        from_json_at(v, "$", None)
    }
    /// The JSON form; `Space::new(Expr::from_json(&e.to_json()))` round-trips.
    pub fn to_json(&self) -> J {
        match self {
            Expr::Null => J::Null,
            Expr::Bool(b) => J::Bool(*b),
            Expr::Int(i) => J::from(*i),
            Expr::Float(f) => num(*f),
            Expr::Str(s) => J::String(s.clone()),
            Expr::List(v) => J::Array(v.iter().map(Expr::to_json).collect()),
            Expr::Map(kv) => J::Object(kv.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Expr::Choice {
                label,
                options,
                probs,
            } => {
                let mut m = Map::new();
                match probs {
                    None => {
                        m.insert("$hp".into(), "choice".into());
                        m.insert("label".into(), label.clone().into());
                        m.insert(
                            "options".into(),
                            J::Array(options.iter().map(Expr::to_json).collect()),
                        );
                    }
                    Some(p) => {
                        m.insert("$hp".into(), "pchoice".into());
                        m.insert("label".into(), label.clone().into());
                        let opts = p
                            .iter()
                            .zip(options)
                            .map(|(p, o)| J::Array(vec![num(*p), o.to_json()]))
                            .collect();
                        m.insert("options".into(), J::Array(opts));
                    }
                }
                J::Object(m)
            }
            Expr::Param { label, dist } => {
                let mut m = Map::new();
                m.insert("$hp".into(), dist.name().into());
                m.insert("label".into(), label.clone().into());
                let mut put = |k: &str, v: f64| {
                    m.insert(k.into(), num(v));
                };
                match *dist {
                    DistSpec::Uniform { low, high }
                    | DistSpec::LogUniform { low, high }
                    | DistSpec::UniformInt { low, high } => {
                        put("low", low);
                        put("high", high);
                    }
                    DistSpec::QUniform { low, high, q }
                    | DistSpec::QLogUniform { low, high, q } => {
                        put("low", low);
                        put("high", high);
                        put("q", q);
                    }
                    DistSpec::Normal { mu, sigma } | DistSpec::LogNormal { mu, sigma } => {
                        put("mu", mu);
                        put("sigma", sigma);
                    }
                    DistSpec::QNormal { mu, sigma, q } | DistSpec::QLogNormal { mu, sigma, q } => {
                        put("mu", mu);
                        put("sigma", sigma);
                        put("q", q);
                    }
                    DistSpec::RandInt { low, upper } => {
                        m.insert("low".into(), J::from(low));
                        m.insert("upper".into(), J::from(upper));
                    }
                }
                J::Object(m)
            }
        }
    }
}

fn num(f: f64) -> J {
    serde_json::Number::from_f64(f)
        .map(J::Number)
        .unwrap_or(J::Null)
}

fn malformed(path: &str, reason: impl Into<String>) -> TuneError {
    TuneError::MalformedSpace {
        path: path.to_string(),
        reason: reason.into(),
    }
}

fn from_json_at(v: &J, path: &str, key_label: Option<&str>) -> Result<Expr> {
    Ok(match v {
        J::Null => Expr::Null,
        J::Bool(b) => Expr::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Expr::Int(i),
            None => Expr::Float(
                n.as_f64()
                    .ok_or_else(|| malformed(path, "number out of range"))?,
            ),
        },
        J::String(s) => Expr::Str(s.clone()),
        J::Array(items) => Expr::List(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| from_json_at(x, &format!("{path}[{i}]"), None))
                .collect::<Result<_>>()?,
        ),
        J::Object(m) if m.contains_key("$hp") => hp_node(m, path, key_label)?,
        J::Object(m) => Expr::Map(
            m.iter()
                .map(|(k, x)| {
                    let label = match key_label {
                        Some(parent) => format!("{parent}.{k}"),
                        None => k.clone(),
                    };
                    Ok((
                        k.clone(),
                        from_json_at(x, &format!("{path}.{k}"), Some(&label))?,
                    ))
                })
                .collect::<Result<_>>()?,
        ),
    })
}

fn hp_node(m: &Map<String, J>, path: &str, key_label: Option<&str>) -> Result<Expr> {
    let kind = m["$hp"]
        .as_str()
        .ok_or_else(|| malformed(path, "\"$hp\" must be a string naming the primitive"))?;
    let label = match m.get("label") {
        Some(J::String(s)) => s.clone(),
        Some(_) => return Err(malformed(path, "\"label\" must be a string")),
        None => key_label
            .map(str::to_string)
            .ok_or_else(|| malformed(path, "missing \"label\" (required outside a map)"))?,
    };
    let allowed: &[&str] = match kind {
        "choice" | "pchoice" => &["options"],
        "uniform" | "loguniform" | "uniformint" => &["low", "high"],
        "quniform" | "qloguniform" => &["low", "high", "q"],
        "normal" | "lognormal" => &["mu", "sigma"],
        "qnormal" | "qlognormal" => &["mu", "sigma", "q"],
        "randint" => &["low", "upper"],
        other => return Err(malformed(path, format!("unknown primitive {other:?}"))),
    };
    for k in m.keys() {
        if k != "$hp" && k != "label" && !allowed.contains(&k.as_str()) {
            return Err(malformed(path, format!("unexpected key {k:?} for {kind}")));
        }
    }
    let f = |k: &str| -> Result<f64> {
        m.get(k)
            .ok_or_else(|| malformed(path, format!("{kind} needs \"{k}\"")))?
            .as_f64()
            .ok_or_else(|| malformed(path, format!("\"{k}\" must be a number")))
    };
    let dist = match kind {
        "choice" | "pchoice" => {
            let opts = m
                .get("options")
                .and_then(J::as_array)
                .ok_or_else(|| malformed(path, format!("{kind} needs an \"options\" array")))?;
            let mut options = Vec::with_capacity(opts.len());
            let mut probs = Vec::new();
            for (i, o) in opts.iter().enumerate() {
                let p = format!("{path}.options[{i}]");
                if kind == "pchoice" {
                    let pair = o.as_array().filter(|a| a.len() == 2).ok_or_else(|| {
                        malformed(&p, "pchoice options are [probability, option] pairs")
                    })?;
                    probs.push(
                        pair[0]
                            .as_f64()
                            .ok_or_else(|| malformed(&p, "probability must be a number"))?,
                    );
                    options.push(from_json_at(&pair[1], &p, None)?);
                } else {
                    options.push(from_json_at(o, &p, None)?);
                }
            }
            return Ok(Expr::Choice {
                label,
                options,
                probs: (kind == "pchoice").then_some(probs),
            });
        }
        "uniform" => DistSpec::Uniform {
            low: f("low")?,
            high: f("high")?,
        },
        "loguniform" => DistSpec::LogUniform {
            low: f("low")?,
            high: f("high")?,
        },
        "uniformint" => DistSpec::UniformInt {
            low: f("low")?,
            high: f("high")?,
        },
        "quniform" => DistSpec::QUniform {
            low: f("low")?,
            high: f("high")?,
            q: f("q")?,
        },
        "qloguniform" => DistSpec::QLogUniform {
            low: f("low")?,
            high: f("high")?,
            q: f("q")?,
        },
        "normal" => DistSpec::Normal {
            mu: f("mu")?,
            sigma: f("sigma")?,
        },
        "lognormal" => DistSpec::LogNormal {
            mu: f("mu")?,
            sigma: f("sigma")?,
        },
        "qnormal" => DistSpec::QNormal {
            mu: f("mu")?,
            sigma: f("sigma")?,
            q: f("q")?,
        },
        "qlognormal" => DistSpec::QLogNormal {
            mu: f("mu")?,
            sigma: f("sigma")?,
            q: f("q")?,
        },
        "randint" => {
            let int = |k: &str| -> Result<i64> {
                m.get(k)
                    .ok_or_else(|| malformed(path, format!("randint needs \"{k}\"")))?
                    .as_i64()
                    .ok_or_else(|| malformed(path, format!("\"{k}\" must be an integer")))
            };
            let low = if m.contains_key("low") {
                int("low")?
            } else {
                0
            };
            DistSpec::RandInt {
                low,
                upper: int("upper")?,
            }
        }
        _ => unreachable!("checked above"),
    };
    Ok(Expr::Param { label, dist })
}

impl From<f64> for Expr {
    fn from(v: f64) -> Self {
        Expr::Float(v)
    }
}
impl From<i64> for Expr {
    fn from(v: i64) -> Self {
        Expr::Int(v)
    }
}
impl From<i32> for Expr {
    fn from(v: i32) -> Self {
        Expr::Int(v as i64)
    }
}
impl From<bool> for Expr {
    fn from(v: bool) -> Self {
        Expr::Bool(v)
    }
}
impl From<&str> for Expr {
    fn from(v: &str) -> Self {
        Expr::Str(v.to_string())
    }
}
impl From<String> for Expr {
    fn from(v: String) -> Self {
        Expr::Str(v)
    }
}
impl From<Vec<Expr>> for Expr {
    fn from(v: Vec<Expr>) -> Self {
        Expr::List(v)
    }
}

/// Hyperopt's `hp.*` constructors.
///
/// ```
/// use cairn_tune::{hp, Expr, Space};
/// let space = Space::new(Expr::map([
///     ("x", hp::uniform("x", -5.0, 10.0)),
///     ("n", hp::quniform("n", 0.0, 100.0, 5.0)),
/// ])).unwrap();
/// assert_eq!(space.len(), 2);
/// ```
pub mod hp {
    use super::{DistSpec, Expr};

    fn p(label: &str, dist: DistSpec) -> Expr {
        Expr::Param {
            label: label.to_string(),
            dist,
        }
    }
    /// `hp.choice(label, options)`: one of the options (each may hold further hyperparameters).
    pub fn choice<V: Into<Expr>>(label: &str, options: impl IntoIterator<Item = V>) -> Expr {
        Expr::Choice {
            label: label.to_string(),
            options: options.into_iter().map(Into::into).collect(),
            probs: None,
        }
    }
    /// `hp.pchoice(label, [(p, option), ...])`.
    pub fn pchoice<V: Into<Expr>>(
        label: &str,
        options: impl IntoIterator<Item = (f64, V)>,
    ) -> Expr {
        let (probs, options): (Vec<f64>, Vec<Expr>) =
            options.into_iter().map(|(p, o)| (p, o.into())).unzip();
        Expr::Choice {
            label: label.to_string(),
            options,
            probs: Some(probs),
        }
    }
    /// `hp.uniform(label, low, high)`.
    pub fn uniform(label: &str, low: f64, high: f64) -> Expr {
        p(label, DistSpec::Uniform { low, high })
    }
    /// `hp.quniform(label, low, high, q)`: `round(uniform/q)*q`.
    pub fn quniform(label: &str, low: f64, high: f64, q: f64) -> Expr {
        p(label, DistSpec::QUniform { low, high, q })
    }
    /// `hp.loguniform(label, low, high)`: `exp(uniform(low, high))` — bounds in log space.
    pub fn loguniform(label: &str, low: f64, high: f64) -> Expr {
        p(label, DistSpec::LogUniform { low, high })
    }
    /// `hp.qloguniform(label, low, high, q)` — bounds in log space.
    pub fn qloguniform(label: &str, low: f64, high: f64, q: f64) -> Expr {
        p(label, DistSpec::QLogUniform { low, high, q })
    }
    /// `hp.normal(label, mu, sigma)`.
    pub fn normal(label: &str, mu: f64, sigma: f64) -> Expr {
        p(label, DistSpec::Normal { mu, sigma })
    }
    /// `hp.qnormal(label, mu, sigma, q)`.
    pub fn qnormal(label: &str, mu: f64, sigma: f64, q: f64) -> Expr {
        p(label, DistSpec::QNormal { mu, sigma, q })
    }
    /// `hp.lognormal(label, mu, sigma)`.
    pub fn lognormal(label: &str, mu: f64, sigma: f64) -> Expr {
        p(label, DistSpec::LogNormal { mu, sigma })
    }
    /// `hp.qlognormal(label, mu, sigma, q)`.
    pub fn qlognormal(label: &str, mu: f64, sigma: f64, q: f64) -> Expr {
        p(label, DistSpec::QLogNormal { mu, sigma, q })
    }
    /// `hp.randint(label, upper)`: integers in `[0, upper)`.
    pub fn randint(label: &str, upper: i64) -> Expr {
        p(label, DistSpec::RandInt { low: 0, upper })
    }
    /// `hp.randint(label, low, upper)`: integers in `[low, upper)`.
    pub fn randint_range(label: &str, low: i64, upper: i64) -> Expr {
        p(label, DistSpec::RandInt { low, upper })
    }
    /// `hp.uniformint(label, low, high)`: integers `low..=high` (endpoints half mass).
    pub fn uniformint(label: &str, low: f64, high: f64) -> Expr {
        p(label, DistSpec::UniformInt { low, high })
    }
}
