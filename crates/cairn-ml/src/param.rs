//! Named, typed params (Spark's `Param`/`ParamMap`) and the grid builder.
//!
//! Every estimator and transformer exposes its params by their Spark names
//! (`maxDepth`, `maxBins`, `regParam`, ...) through [`HasParams`], with values
//! of the small closed type [`ParamValue`]. A [`ParamMap`] is an ordered list
//! of ([`ParamRef`], value) pairs; a `ParamRef` is either a bare name (applies
//! to every pipeline stage that has that param) or `stage.name` (one stage).
//! This is what lets a [`ParamGridBuilder`] set `maxDepth` on the tree inside
//! a pipeline, and what a tracking layer reads back as (name, string) pairs.
//!
//! Values are checked when an estimator is fitted (its `check()`), not when they
//! are put in a map; a wrongly *typed* value is rejected by `set_param` already.

use crate::error::{MlError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A param value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A boolean (`withMean`).
    Bool(bool),
    /// An integer (`maxDepth`, `numTrees`, `seed`).
    Int(i64),
    /// A real number (`regParam`, `C`, `subsamplingRate`).
    Float(f64),
    /// A string choice (`impurity`, `kernel`, `handleInvalid`).
    Str(String),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Str(s) => f.write_str(s),
        }
    }
}

impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}
impl From<i32> for ParamValue {
    fn from(v: i32) -> Self {
        ParamValue::Int(v.into())
    }
}
impl From<u64> for ParamValue {
    fn from(v: u64) -> Self {
        ParamValue::Int(v as i64)
    }
}
impl From<usize> for ParamValue {
    fn from(v: usize) -> Self {
        ParamValue::Int(v as i64)
    }
}
impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Str(v.to_string())
    }
}
impl From<String> for ParamValue {
    fn from(v: String) -> Self {
        ParamValue::Str(v)
    }
}

impl ParamValue {
    fn wrong(&self, name: &str, want: &str) -> MlError {
        MlError::param(name, self, format!("expected {want}"))
    }
    /// An integer value (a float with no fractional part is accepted).
    pub fn as_i64(&self, name: &str) -> Result<i64> {
        match self {
            ParamValue::Int(i) => Ok(*i),
            ParamValue::Float(x) if x.fract() == 0.0 && x.is_finite() => Ok(*x as i64),
            _ => Err(self.wrong(name, "an integer")),
        }
    }
    /// A real value (integers convert).
    pub fn as_f64(&self, name: &str) -> Result<f64> {
        match self {
            ParamValue::Int(i) => Ok(*i as f64),
            ParamValue::Float(x) => Ok(*x),
            _ => Err(self.wrong(name, "a number")),
        }
    }
    /// A string value.
    pub fn as_str(&self, name: &str) -> Result<&str> {
        match self {
            ParamValue::Str(s) => Ok(s),
            _ => Err(self.wrong(name, "a string")),
        }
    }
    /// A boolean value.
    pub fn as_bool(&self, name: &str) -> Result<bool> {
        match self {
            ParamValue::Bool(b) => Ok(*b),
            _ => Err(self.wrong(name, "true or false")),
        }
    }
}

/// Which param a map entry sets: a bare name, or a name on one named stage.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParamRef {
    /// Stage name (`None` = every stage that has the param).
    pub stage: Option<String>,
    /// Param name (Spark spelling).
    pub name: String,
}

impl ParamRef {
    /// A bare param name.
    pub fn new(name: &str) -> Self {
        ParamRef {
            stage: None,
            name: name.to_string(),
        }
    }
    /// A param of one named stage.
    pub fn on(stage: &str, name: &str) -> Self {
        ParamRef {
            stage: Some(stage.to_string()),
            name: name.to_string(),
        }
    }
}

impl fmt::Display for ParamRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stage {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl From<&str> for ParamRef {
    /// `"maxDepth"` is a bare name; `"dt.maxDepth"` names stage `dt`.
    fn from(s: &str) -> Self {
        match s.split_once('.') {
            Some((stage, name)) => ParamRef::on(stage, name),
            None => ParamRef::new(s),
        }
    }
}

/// An ordered map of params to values (later `put`s of the same ref replace).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamMap {
    entries: Vec<(ParamRef, ParamValue)>,
}

impl ParamMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `param` (`"maxDepth"` or `"stage.maxDepth"`) to `value`.
    pub fn put(mut self, param: impl Into<ParamRef>, value: impl Into<ParamValue>) -> Self {
        self.insert(param.into(), value.into());
        self
    }
    /// Sets a param in place.
    pub fn insert(&mut self, param: ParamRef, value: ParamValue) {
        match self.entries.iter_mut().find(|(r, _)| *r == param) {
            Some(e) => e.1 = value,
            None => self.entries.push((param, value)),
        }
    }
    /// The value for `param`, if set.
    pub fn get(&self, param: &ParamRef) -> Option<&ParamValue> {
        self.entries
            .iter()
            .find(|(r, _)| r == param)
            .map(|(_, v)| v)
    }
    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &(ParamRef, ParamValue)> {
        self.entries.iter()
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// `(name, value)` as strings, the shape a tracking server stores params in.
    /// Bare refs give the bare name (`maxDepth`), stage refs `stage.name`.
    pub fn to_string_pairs(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .map(|(r, v)| (r.to_string(), v.to_string()))
            .collect()
    }
    /// Entries of `other` override (or extend) this map's.
    pub fn merged(&self, other: &ParamMap) -> ParamMap {
        let mut m = self.clone();
        for (r, v) in &other.entries {
            m.insert(r.clone(), v.clone());
        }
        m
    }
}

impl fmt::Display for ParamMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (r, v)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}: {v}")?;
        }
        f.write_str("}")
    }
}

/// Builds the cartesian product of param values, as Spark's `ParamGridBuilder`:
/// the param added first varies fastest in the resulting list.
#[derive(Clone, Debug, Default)]
pub struct ParamGridBuilder {
    grid: Vec<(ParamRef, Vec<ParamValue>)>,
}

impl ParamGridBuilder {
    /// An empty builder (its `build()` is one empty map).
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a param with the values to try.
    pub fn add_grid<V: Into<ParamValue>>(
        mut self,
        param: impl Into<ParamRef>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.grid
            .push((param.into(), values.into_iter().map(Into::into).collect()));
        self
    }
    /// All combinations.
    pub fn build(&self) -> Vec<ParamMap> {
        let mut maps = vec![ParamMap::new()];
        for (param, values) in &self.grid {
            // New values outermost, existing maps innermost: the first param
            // added varies fastest, as in Spark's output.
            let mut next = Vec::with_capacity(maps.len() * values.len());
            for v in values {
                for m in &maps {
                    let mut m = m.clone();
                    m.insert(param.clone(), v.clone());
                    next.push(m);
                }
            }
            maps = next;
        }
        maps
    }
}

/// Read and write params by name. Implemented by every estimator and transformer.
pub trait HasParams {
    /// Short type name used in messages and saved files (`DecisionTreeClassifier`).
    fn type_name(&self) -> &'static str;
    /// Names of all params, in a stable order.
    fn param_names(&self) -> &'static [&'static str];
    /// Current value of `name`, or `None` if there is no such param.
    fn get_param(&self, name: &str) -> Option<ParamValue>;
    /// Sets `name`; unknown names give [`MlError::UnknownParam`], wrongly typed
    /// values [`MlError::InvalidParam`]. Range checks happen in `check()`.
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()>;
    /// Every param with its current value.
    fn params(&self) -> Vec<(String, ParamValue)> {
        self.param_names()
            .iter()
            .filter_map(|n| self.get_param(n).map(|v| (n.to_string(), v)))
            .collect()
    }
}

/// The linfa-style guard: raw params become valid params only through `check`.
/// The raw type keeps whatever the user set (so a negative `maxDepth` can be
/// reported with its value); the checked type is the only one that can fit.
pub trait ParamGuard {
    /// The validated params type.
    type Checked;
    /// Validates, naming the first bad param and its value.
    fn check(&self) -> Result<Self::Checked>;
}

/// Checks `value` against `[min, ...)` for an integer param.
pub(crate) fn at_least(name: &str, value: i64, min: i64) -> Result<()> {
    if value < min {
        Err(MlError::param(name, value, format!("must be >= {min}")))
    } else {
        Ok(())
    }
}

/// Helper for `set_param` implementations: the unknown-param error.
pub(crate) fn unknown(target: &str, name: &str) -> MlError {
    MlError::UnknownParam {
        param: name.to_string(),
        target: target.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_first_param_varies_fastest() {
        let grid = ParamGridBuilder::new()
            .add_grid("maxDepth", [2, 4, 6])
            .add_grid("maxBins", [2, 32])
            .build();
        let got: Vec<Vec<(String, String)>> = grid.iter().map(ParamMap::to_string_pairs).collect();
        let pair = |d: &str, b: &str| {
            vec![
                ("maxDepth".to_string(), d.to_string()),
                ("maxBins".to_string(), b.to_string()),
            ]
        };
        assert_eq!(
            got,
            vec![
                pair("2", "2"),
                pair("4", "2"),
                pair("6", "2"),
                pair("2", "32"),
                pair("4", "32"),
                pair("6", "32")
            ]
        );
        assert_eq!(ParamGridBuilder::new().build(), vec![ParamMap::new()]);
        let three = ParamGridBuilder::new()
            .add_grid("a", [1, 2])
            .add_grid("b", [1, 2])
            .add_grid("c", [1, 2])
            .build();
        assert_eq!(three[1].to_string(), "{a: 2, b: 1, c: 1}");
        assert_eq!(three[6].to_string(), "{a: 1, b: 2, c: 2}");
    }

    #[test]
    fn refs_parse_stage_prefix_and_values_convert() {
        assert_eq!(
            ParamRef::from("dt.maxDepth"),
            ParamRef::on("dt", "maxDepth")
        );
        assert_eq!(ParamRef::from("maxDepth").to_string(), "maxDepth");
        assert_eq!(ParamValue::from(3.0).as_i64("x").unwrap(), 3);
        assert!(ParamValue::from(3.5).as_i64("x").is_err());
        let e = ParamValue::from("gini").as_f64("C").unwrap_err();
        assert_eq!(e.to_string(), "invalid param C = gini: expected a number");
        let m = ParamMap::new().put("a", 1).put("a", 2);
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&"a".into()), Some(&ParamValue::Int(2)));
    }
}
