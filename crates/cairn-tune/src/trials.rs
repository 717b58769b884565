//! Trial records and the [`Trials`] collection (Hyperopt's `Trials`), with
//! save/load to a JSON file so a search can be resumed.
//!
//! Only *finished* trials are stored here; pending trials live inside `fmin`.
//! A trial whose objective failed (status `fail`, an `Err`, a panic, a NaN or
//! infinite loss) is kept with `status = Fail` and the reason in `error`.

use crate::error::{Result, TuneError};
use crate::space::Space;
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Hyperopt's result status (only the final states exist for stored trials).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The objective produced a usable loss.
    Ok,
    /// The objective failed or returned an unusable result.
    Fail,
}

/// What the objective reports (Hyperopt's result dict).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// `ok` or `fail`.
    pub status: Status,
    /// The loss to minimize (required and finite when `ok`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Variance of the loss estimate (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_variance: Option<f64>,
    /// The "true" loss (e.g. a test-set loss), reported but never optimized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub true_loss: Option<f64>,
    /// Named attachments (Hyperopt's `trial_attachments`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attachments: BTreeMap<String, serde_json::Value>,
    /// Any other key of the result dict, stored verbatim.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl TrialResult {
    /// An `ok` result with this loss.
    pub fn ok(loss: f64) -> Self {
        TrialResult {
            status: Status::Ok,
            loss: Some(loss),
            loss_variance: None,
            true_loss: None,
            attachments: BTreeMap::new(),
            extra: serde_json::Map::new(),
        }
    }
    /// A `fail` result; the reason is kept in `extra["reason"]`.
    pub fn fail(reason: impl Into<String>) -> Self {
        let mut r = TrialResult::ok(f64::NAN);
        r.status = Status::Fail;
        r.loss = None;
        r.extra
            .insert("reason".into(), serde_json::Value::String(reason.into()));
        r
    }
    /// Builder: set `loss_variance`.
    pub fn with_loss_variance(mut self, v: f64) -> Self {
        self.loss_variance = Some(v);
        self
    }
    /// Builder: set `true_loss`.
    pub fn with_true_loss(mut self, v: f64) -> Self {
        self.true_loss = Some(v);
        self
    }
    /// Builder: add an attachment.
    pub fn with_attachment(
        mut self,
        name: impl Into<String>,
        v: impl Into<serde_json::Value>,
    ) -> Self {
        self.attachments.insert(name.into(), v.into());
        self
    }
    /// Builder: add an extra field.
    pub fn with_extra(mut self, key: impl Into<String>, v: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(key.into(), v.into());
        self
    }
}

/// Anything an objective may return.
///
/// Implemented for numbers (an `ok` loss), [`TrialResult`], `Option<f64>`
/// (`None` = fail, "no loss") and `Result<T, E: Display>` (`Err` = the trial
/// raised an exception).
pub trait IntoTrialResult {
    /// `Ok(result)` or `Err(message)` for an exception-like failure.
    fn into_trial_result(self) -> std::result::Result<TrialResult, String>;
}

impl IntoTrialResult for f64 {
    fn into_trial_result(self) -> std::result::Result<TrialResult, String> {
        Ok(TrialResult::ok(self))
    }
}
impl IntoTrialResult for f32 {
    fn into_trial_result(self) -> std::result::Result<TrialResult, String> {
        Ok(TrialResult::ok(self as f64))
    }
}
impl IntoTrialResult for TrialResult {
    fn into_trial_result(self) -> std::result::Result<TrialResult, String> {
        Ok(self)
    }
}
impl IntoTrialResult for Option<f64> {
    fn into_trial_result(self) -> std::result::Result<TrialResult, String> {
        Ok(match self {
            Some(l) => TrialResult::ok(l),
            None => TrialResult::fail("objective returned no loss"),
        })
    }
}
impl<T: IntoTrialResult, E: std::fmt::Display> IntoTrialResult for std::result::Result<T, E> {
    fn into_trial_result(self) -> std::result::Result<TrialResult, String> {
        match self {
            Ok(t) => t.into_trial_result(),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Makes a result usable: an `ok` status needs a finite loss, otherwise the
/// trial becomes `fail` with the reason.
pub(crate) fn normalize(mut r: TrialResult) -> (TrialResult, Option<String>) {
    if r.status == Status::Ok {
        let reason = match r.loss {
            None => Some("status ok but no loss".to_string()),
            Some(l) if l.is_nan() => Some("loss is NaN".to_string()),
            Some(l) if l.is_infinite() => Some(format!("loss is {l}")),
            Some(_) => None,
        };
        if let Some(reason) = reason {
            r.status = Status::Fail;
            if r.loss.is_some_and(|l| !l.is_finite()) {
                r.loss = None;
            }
            r.extra
                .insert("reason".into(), serde_json::Value::String(reason.clone()));
            return (r, Some(reason));
        }
    }
    let reason = (r.status == Status::Fail).then(|| {
        r.extra
            .get("reason")
            .and_then(|v| v.as_str())
            .unwrap_or("objective reported status fail")
            .to_string()
    });
    (r, reason)
}

/// One finished trial.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Trial id (0-based, in creation order).
    pub tid: usize,
    /// Active labels → raw values (Hyperopt's `misc.vals`; choice = index).
    pub vals: BTreeMap<String, f64>,
    /// The objective's result.
    pub result: TrialResult,
    /// Why the trial failed (`Err`, panic message, NaN loss, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Start of the evaluation, seconds since the Unix epoch.
    pub book_time: f64,
    /// End of the evaluation, seconds since the Unix epoch.
    pub refresh_time: f64,
    /// Wall time of the evaluation in seconds.
    pub duration_s: f64,
}

impl Trial {
    /// `ok` status.
    pub fn is_ok(&self) -> bool {
        self.result.status == Status::Ok
    }
    /// The loss if the trial is `ok`.
    pub fn loss(&self) -> Option<f64> {
        if self.is_ok() { self.result.loss } else { None }
    }
    /// Flat `(label, evaluated value)` list of the active hyperparameters (see
    /// [`Space::param_values`]).
    pub fn params(&self, space: &Space) -> Vec<(String, Value)> {
        match space.assignment_from_labels(&self.vals) {
            Ok(a) => space.param_values(&a),
            Err(_) => self
                .vals
                .iter()
                .map(|(k, v)| (k.clone(), Value::Float(*v)))
                .collect(),
        }
    }
    /// The concrete point this trial evaluated (`space_eval`).
    pub fn point(&self, space: &Space) -> Result<Value> {
        space.space_eval(&self.vals)
    }
}

/// The history of a search (Hyperopt's `Trials`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trials {
    trials: Vec<Trial>,
    /// Global attachments (Hyperopt's `trials.attachments`).
    #[serde(default)]
    pub attachments: BTreeMap<String, serde_json::Value>,
}

const FILE_FORMAT: &str = "cairn-trials/1";

#[derive(Serialize, Deserialize)]
struct TrialsFile {
    format: String,
    #[serde(flatten)]
    trials: Trials,
}

impl Trials {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of trials.
    pub fn len(&self) -> usize {
        self.trials.len()
    }
    /// No trials yet.
    pub fn is_empty(&self) -> bool {
        self.trials.is_empty()
    }
    /// All trials in tid order.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }
    /// Trial ids.
    pub fn tids(&self) -> Vec<usize> {
        self.trials.iter().map(|t| t.tid).collect()
    }
    /// Results.
    pub fn results(&self) -> Vec<&TrialResult> {
        self.trials.iter().map(|t| &t.result).collect()
    }
    /// Losses (`None` for failed trials).
    pub fn losses(&self) -> Vec<Option<f64>> {
        self.trials.iter().map(Trial::loss).collect()
    }
    /// Statuses.
    pub fn statuses(&self) -> Vec<Status> {
        self.trials.iter().map(|t| t.result.status).collect()
    }
    /// Evaluation wall times in seconds.
    pub fn durations(&self) -> Vec<f64> {
        self.trials.iter().map(|t| t.duration_s).collect()
    }
    /// Per-label values across trials (`(tid, value)` where the label was active).
    pub fn vals(&self) -> BTreeMap<String, Vec<(usize, f64)>> {
        let mut out: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
        for t in &self.trials {
            for (k, v) in &t.vals {
                out.entry(k.clone()).or_default().push((t.tid, *v));
            }
        }
        out
    }
    /// The `ok` trial with the lowest loss (first on ties).
    pub fn best_trial(&self) -> Result<&Trial> {
        let mut best: Option<&Trial> = None;
        for t in &self.trials {
            if let Some(l) = t.loss()
                && best.and_then(Trial::loss).is_none_or(|b| l < b)
            {
                best = Some(t);
            }
        }
        best.ok_or(TuneError::AllTrialsFailed)
    }
    /// Hyperopt's `argmin`: the best trial's raw values (choice indices).
    pub fn argmin(&self) -> Result<BTreeMap<String, f64>> {
        Ok(self.best_trial()?.vals.clone())
    }
    /// Lowest loss among `ok` trials.
    pub fn best_loss(&self) -> Option<f64> {
        self.best_trial().ok().and_then(Trial::loss)
    }
    /// Adds a finished trial, keeping tid order; returns its position.
    pub fn push(&mut self, t: Trial) -> usize {
        let pos = self
            .trials
            .iter()
            .rposition(|x| x.tid < t.tid)
            .map_or(0, |p| p + 1);
        self.trials.insert(pos, t);
        pos
    }
    /// Next unused trial id.
    pub fn next_tid(&self) -> usize {
        self.trials.iter().map(|t| t.tid + 1).max().unwrap_or(0)
    }
    /// Checks every trial against a space (labels exist, values in support,
    /// conditional labels consistent) and that tids are unique.
    pub fn validate(&self, space: &Space) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for t in &self.trials {
            if !seen.insert(t.tid) {
                return Err(TuneError::InvalidAssignment(format!(
                    "duplicate trial id {}",
                    t.tid
                )));
            }
            space
                .assignment_from_labels(&t.vals)
                .map_err(|e| TuneError::InvalidAssignment(format!("trial {}: {e}", t.tid)))?;
        }
        Ok(())
    }
    /// Writes the trials as JSON (atomically, through a temporary file).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let err = |m: String| TuneError::TrialsFile {
            path: path.display().to_string(),
            message: m,
        };
        let file = TrialsFile {
            format: FILE_FORMAT.into(),
            trials: self.clone(),
        };
        let text = serde_json::to_string(&file).map_err(|e| err(e.to_string()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
    }
    /// Reads trials written by [`Trials::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Trials> {
        let path = path.as_ref();
        let err = |m: String| TuneError::TrialsFile {
            path: path.display().to_string(),
            message: m,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let file: TrialsFile = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        if file.format != FILE_FORMAT {
            return Err(err(format!(
                "unknown format {:?} (expected {FILE_FORMAT:?})",
                file.format
            )));
        }
        Ok(file.trials)
    }
}
