//! Search spaces: the validated [`Space`], assignments, and `space_eval`.
//!
//! A space is parsed from an [`Expr`] (built with [`hp`] or read from
//! JSON/YAML) and validated once: labels are unique, every distribution's
//! arguments are sane, at least one hyperparameter exists. Past this point,
//! samplers never see invalid input.
//!
//! Hyperparameters are numbered in *ancestral* (pre-)order, so a choice always
//! comes before the hyperparameters inside its options. An [`Assignment`] is a
//! vector indexed by that number: `Some(raw value)` when the hyperparameter is
//! active, `None` when it sits in a branch that was not chosen. Raw values are
//! Hyperopt's `misc.vals`: the option *index* for `choice`/`pchoice`.

mod dist;
mod expr;

pub use dist::{Dist, Numeric};
pub use expr::{DistSpec, Expr, hp};

use crate::error::{Result, TuneError};
use crate::math::Rng;
use crate::value::Value;
use std::collections::{BTreeMap, HashMap};

/// Raw values per hyperparameter (index = [`Space::params`] position).
pub type Assignment = Vec<Option<f64>>;

/// One hyperparameter of a validated space.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Unique label.
    pub label: String,
    /// Distribution.
    pub dist: Dist,
    /// `(choice param index, option index)` that must be selected for this
    /// hyperparameter to be active; `None` if always active.
    pub parent: Option<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Const(Value),
    Param(usize),
    Choice { param: usize, options: Vec<Node> },
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// A validated search space.
#[derive(Clone, Debug)]
pub struct Space {
    expr: Expr,
    root: Node,
    params: Vec<Param>,
    index: HashMap<String, usize>,
}

impl Space {
    /// Validates an expression into a space.
    pub fn new(expr: Expr) -> Result<Space> {
        let mut b = Builder {
            params: Vec::new(),
            index: HashMap::new(),
        };
        let root = b.build(&expr, None)?;
        if b.params.is_empty() {
            return Err(TuneError::EmptySpace);
        }
        Ok(Space {
            expr,
            root,
            params: b.params,
            index: b.index,
        })
    }
    /// Parses and validates the JSON form.
    pub fn from_json_str(s: &str) -> Result<Space> {
        Space::new(Expr::from_json_str(s)?)
    }
    /// Parses and validates the YAML form.
    pub fn from_yaml_str(s: &str) -> Result<Space> {
        Space::new(Expr::from_yaml_str(s)?)
    }
    /// The JSON form of the space.
    pub fn to_json(&self) -> serde_json::Value {
        self.expr.to_json()
    }
    /// The expression this space was built from.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
    /// Hyperparameters in ancestral order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }
    /// Number of hyperparameters.
    pub fn len(&self) -> usize {
        self.params.len()
    }
    /// Always false (a space has at least one hyperparameter).
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
    /// Position of a label.
    pub fn index_of(&self, label: &str) -> Option<usize> {
        self.index.get(label).copied()
    }
    /// True when no hyperparameter is conditional.
    pub fn is_flat(&self) -> bool {
        self.params.iter().all(|p| p.parent.is_none())
    }

    /// Whether hyperparameter `i` is active given the (partial) assignment of
    /// its ancestors.
    pub fn is_active(&self, i: usize, a: &[Option<f64>]) -> bool {
        match self.params[i].parent {
            None => true,
            Some((p, opt)) => a[p] == Some(opt as f64) && self.is_active(p, a),
        }
    }

    /// One draw from the prior (what `rand.suggest` does).
    pub fn sample(&self, rng: &mut Rng) -> Assignment {
        let mut a: Assignment = vec![None; self.params.len()];
        for i in 0..self.params.len() {
            if self.is_active(i, &a) {
                a[i] = Some(self.params[i].dist.sample(rng));
            }
        }
        a
    }

    /// `space_eval` on an assignment: the concrete value the objective receives.
    /// Inactive branches are never evaluated; an active hyperparameter without a
    /// value evaluates to `Null` (use [`Space::check`] first for strictness).
    pub fn eval(&self, a: &[Option<f64>]) -> Value {
        self.eval_node(&self.root, a)
    }

    fn eval_node(&self, n: &Node, a: &[Option<f64>]) -> Value {
        match n {
            Node::Const(v) => v.clone(),
            Node::Param(i) => a[*i]
                .map(|x| self.params[*i].dist.to_value(x))
                .unwrap_or(Value::Null),
            Node::Choice { param, options } => match a[*param] {
                Some(k) => options
                    .get(k as usize)
                    .map(|o| self.eval_node(o, a))
                    .unwrap_or(Value::Null),
                None => Value::Null,
            },
            Node::List(v) => Value::List(v.iter().map(|x| self.eval_node(x, a)).collect()),
            Node::Map(kv) => Value::Map(
                kv.iter()
                    .map(|(k, x)| (k.clone(), self.eval_node(x, a)))
                    .collect(),
            ),
        }
    }

    /// Hyperopt's `space_eval(space, argmin)`: labels → raw values (choice
    /// indices) → concrete value. Validates the assignment first.
    pub fn space_eval(&self, vals: &BTreeMap<String, f64>) -> Result<Value> {
        let a = self.assignment_from_labels(vals)?;
        Ok(self.eval(&a))
    }

    /// Converts `label → raw value` into an [`Assignment`], checking that every
    /// active hyperparameter has a value inside its support, that labels exist,
    /// and that no value is given for an inactive one.
    pub fn assignment_from_labels(&self, vals: &BTreeMap<String, f64>) -> Result<Assignment> {
        for k in vals.keys() {
            if !self.index.contains_key(k) {
                return Err(TuneError::InvalidAssignment(format!("unknown label {k:?}")));
            }
        }
        let a: Assignment = self
            .params
            .iter()
            .map(|p| vals.get(&p.label).copied())
            .collect();
        self.check(&a)?;
        Ok(a)
    }

    /// Checks an assignment (see [`Space::assignment_from_labels`]).
    pub fn check(&self, a: &[Option<f64>]) -> Result<()> {
        if a.len() != self.params.len() {
            return Err(TuneError::InvalidAssignment(format!(
                "expected {} values, got {}",
                self.params.len(),
                a.len()
            )));
        }
        for (i, p) in self.params.iter().enumerate() {
            match (self.is_active(i, a), a[i]) {
                (true, None) => {
                    return Err(TuneError::InvalidAssignment(format!(
                        "missing value for active label {:?}",
                        p.label
                    )));
                }
                (true, Some(x)) if !p.dist.in_support(x) => {
                    return Err(TuneError::InvalidAssignment(format!(
                        "value {x} is outside the support of {:?} ({})",
                        p.label,
                        p.dist.name()
                    )));
                }
                (false, Some(_)) => {
                    return Err(TuneError::InvalidAssignment(format!(
                        "label {:?} is inactive (its branch is not chosen) but has a value",
                        p.label
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Active `label → raw value` (Hyperopt's `argmin` shape: indices for choices).
    pub fn labels(&self, a: &[Option<f64>]) -> BTreeMap<String, f64> {
        self.params
            .iter()
            .zip(a)
            .filter_map(|(p, v)| v.map(|v| (p.label.clone(), v)))
            .collect()
    }

    /// Flat list of `(label, evaluated value)` for the active hyperparameters,
    /// in space order, for logging. Numeric labels give their value; a choice
    /// gives the chosen option if it is a scalar literal (e.g. `"relu"`); for
    /// a map option, its first scalar literal entry (e.g. `{"type": "svm",
    /// …}` gives `"svm"`), so logs show real values rather than indices; only
    /// options with no scalar literal fall back to the option index. Nested
    /// hyperparameters are listed on their own.
    pub fn param_values(&self, a: &[Option<f64>]) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        self.collect_choice_options(&self.root, a, &mut out);
        let choice_vals: HashMap<usize, Value> = out.into_iter().collect();
        self.params
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let x = a.get(i).copied().flatten()?;
                let v = choice_vals
                    .get(&i)
                    .cloned()
                    .unwrap_or_else(|| p.dist.to_value(x));
                Some((p.label.clone(), v))
            })
            .collect()
    }

    fn collect_choice_options(&self, n: &Node, a: &[Option<f64>], out: &mut Vec<(usize, Value)>) {
        match n {
            Node::Const(_) | Node::Param(_) => {}
            Node::Choice { param, options } => {
                if let Some(k) = a.get(*param).copied().flatten()
                    && let Some(o) = options.get(k as usize)
                {
                    if let Some(v) = option_label(o) {
                        out.push((*param, v));
                    }
                    self.collect_choice_options(o, a, out);
                }
            }
            Node::List(v) => v
                .iter()
                .for_each(|x| self.collect_choice_options(x, a, out)),
            Node::Map(kv) => kv
                .iter()
                .for_each(|(_, x)| self.collect_choice_options(x, a, out)),
        }
    }
}

struct Builder {
    params: Vec<Param>,
    index: HashMap<String, usize>,
}

impl Builder {
    fn add(&mut self, label: &str, dist: Dist, parent: Option<(usize, usize)>) -> Result<usize> {
        if self.index.contains_key(label) {
            return Err(TuneError::DuplicateLabel(label.to_string()));
        }
        let i = self.params.len();
        self.params.push(Param {
            label: label.to_string(),
            dist,
            parent,
        });
        self.index.insert(label.to_string(), i);
        Ok(i)
    }

    fn build(&mut self, e: &Expr, parent: Option<(usize, usize)>) -> Result<Node> {
        Ok(match e {
            Expr::Null => Node::Const(Value::Null),
            Expr::Bool(b) => Node::Const(Value::Bool(*b)),
            Expr::Int(i) => Node::Const(Value::Int(*i)),
            Expr::Float(f) => Node::Const(Value::Float(*f)),
            Expr::Str(s) => Node::Const(Value::Str(s.clone())),
            Expr::List(v) => {
                let nodes = v
                    .iter()
                    .map(|x| self.build(x, parent))
                    .collect::<Result<Vec<_>>>()?;
                fold_const(Node::List(nodes))
            }
            Expr::Map(kv) => {
                let mut seen = std::collections::HashSet::new();
                let mut nodes = Vec::with_capacity(kv.len());
                for (k, x) in kv {
                    if !seen.insert(k.as_str()) {
                        return Err(TuneError::MalformedSpace {
                            path: k.clone(),
                            reason: "duplicate map key".into(),
                        });
                    }
                    nodes.push((k.clone(), self.build(x, parent)?));
                }
                fold_const(Node::Map(nodes))
            }
            Expr::Param { label, dist } => {
                if label.is_empty() {
                    return Err(TuneError::InvalidDistribution {
                        label: label.clone(),
                        reason: "label must not be empty".into(),
                    });
                }
                let d = Dist::from_spec(label, dist)?;
                Node::Param(self.add(label, d, parent)?)
            }
            Expr::Choice {
                label,
                options,
                probs,
            } => {
                if label.is_empty() {
                    return Err(TuneError::InvalidDistribution {
                        label: label.clone(),
                        reason: "label must not be empty".into(),
                    });
                }
                let d = Dist::choice(label, options.len(), probs.as_deref())?;
                let idx = self.add(label, d, parent)?;
                let opts = options
                    .iter()
                    .enumerate()
                    .map(|(k, o)| self.build(o, Some((idx, k))))
                    .collect::<Result<Vec<_>>>()?;
                Node::Choice {
                    param: idx,
                    options: opts,
                }
            }
        })
    }
}

/// Collapses a list/map made only of constants into one constant.
fn fold_const(n: Node) -> Node {
    match n {
        Node::List(v) if v.iter().all(|x| matches!(x, Node::Const(_))) => Node::Const(Value::List(
            v.into_iter()
                .map(|x| match x {
                    Node::Const(c) => c,
                    _ => unreachable!(),
                })
                .collect(),
        )),
        Node::Map(kv) if kv.iter().all(|(_, x)| matches!(x, Node::Const(_))) => {
            Node::Const(Value::Map(
                kv.into_iter()
                    .map(|(k, x)| match x {
                        Node::Const(c) => (k, c),
                        _ => unreachable!(),
                    })
                    .collect(),
            ))
        }
        other => other,
    }
}

/// A human-meaningful value for a choice option: the literal itself, or a
/// map option's first scalar literal entry (its "name", by convention).
fn option_label(option: &Node) -> Option<Value> {
    let scalar = |v: &Value| !matches!(v, Value::List(_) | Value::Map(_) | Value::Null);
    match option {
        Node::Const(Value::Map(entries)) => {
            entries.iter().map(|(_, v)| v).find(|v| scalar(v)).cloned()
        }
        Node::Const(v) if scalar(v) => Some(v.clone()),
        Node::Map(entries) => entries.iter().find_map(|(_, n)| match n {
            Node::Const(v) if scalar(v) => Some(v.clone()),
            _ => None,
        }),
        _ => None,
    }
}
