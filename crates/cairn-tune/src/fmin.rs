//! `fmin`: the search loop (Hyperopt's `fmin` + SparkTrials' parallelism).
//!
//! The driver (the calling thread) owns the sampler, the history and every
//! decision; objective evaluations run inline (`parallelism = 1`) or on a
//! scoped pool of `parallelism` worker threads. Suggestions are made whenever
//! a worker is free, with the still-running trials passed to the sampler as
//! pending. Each evaluation runs under `catch_unwind`: an `Err`, a panic, a
//! NaN/inf loss or a missing loss becomes a *failed trial* with the reason,
//! never a crash of the search.
//!
//! Randomness: a master [`Rng`](crate::math::Rng) seeded from `seed` draws one
//! `u64` per suggestion, from which the sampler's generator is built, so a
//! sequential run is bit-reproducible from its seed. (With `parallelism > 1`
//! the history a suggestion sees depends on completion order.)

use crate::error::{Result, TuneError};
use crate::math::rng_from_seed;
use crate::samplers::{Algo, History, ObsState, Observation, Sampler};
use crate::space::{Assignment, Space};
use crate::trials::{IntoTrialResult, Status, Trial, TrialResult, Trials, normalize};
use crate::value::Value;
use rand::RngCore;
use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What an observer sees when a trial ends.
#[derive(Debug, Clone, Copy)]
pub struct TrialView<'a> {
    /// The finished trial.
    pub trial: &'a Trial,
    /// The space (to evaluate the trial's values).
    pub space: &'a Space,
    /// Best loss over all trials so far (this one included).
    pub best_loss: Option<f64>,
}

impl TrialView<'_> {
    /// Flat `(label, evaluated value)` for the active hyperparameters.
    pub fn params(&self) -> Vec<(String, Value)> {
        self.trial.params(self.space)
    }
    /// Loss (`None` for failed trials).
    pub fn loss(&self) -> Option<f64> {
        self.trial.loss()
    }
    /// Status.
    pub fn status(&self) -> Status {
        self.trial.result.status
    }
    /// Evaluation wall time.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.trial.duration_s.max(0.0))
    }
}

type EarlyStopFn<'a> = Box<dyn FnMut(&Trials) -> bool + 'a>;
type TrialEndFn<'a> = Box<dyn FnMut(&TrialView<'_>) + 'a>;

/// Options of [`fmin`] (Hyperopt's arguments plus `parallelism`).
///
/// Build with [`FminOptions::new`] and the chaining methods.
pub struct FminOptions<'a> {
    /// Search algorithm (default: Cairn's default sampler).
    pub algo: Algo,
    /// A custom sampler; overrides `algo`.
    pub sampler: Option<Box<dyn Sampler + 'a>>,
    /// Bound on the total number of trials, *including* those already in the
    /// passed `Trials` (a second call with a larger value continues). `None` =
    /// unbounded (then another stop condition is required).
    pub max_evals: Option<usize>,
    /// Stop launching trials after this long (running ones are awaited).
    pub timeout: Option<Duration>,
    /// Stop as soon as a loss below this is seen.
    pub loss_threshold: Option<f64>,
    /// Called after every finished trial; `true` stops the search.
    pub early_stop_fn: Option<EarlyStopFn<'a>>,
    /// Called after every finished trial (logging hook).
    pub on_trial_end: Option<TrialEndFn<'a>>,
    /// Points evaluated first (label → raw value, choice = index). As in
    /// Hyperopt they are used only when `trials` is empty, and they come on
    /// top of `max_evals`.
    pub points_to_evaluate: Vec<BTreeMap<String, f64>>,
    /// Seed of the master generator (`None`: `$CAIRN_FMIN_SEED` or entropy).
    pub seed: Option<u64>,
    /// `true` (Cairn's default): an objective `Err`/panic is a failed trial
    /// and the search goes on. `false`: it is recorded, then `fmin` returns
    /// [`TuneError::Objective`].
    pub catch_eval_exceptions: bool,
    /// Draw an indicatif progress bar with the best loss.
    pub show_progressbar: bool,
    /// Trials evaluated at once (threads). 1 = inline.
    pub parallelism: usize,
    /// Save the trials to this file after every trial; if it exists and the
    /// passed `Trials` is empty, resume from it.
    pub trials_save_file: Option<PathBuf>,
}

impl std::fmt::Debug for FminOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FminOptions")
            .field("algo", &self.algo)
            .field("max_evals", &self.max_evals)
            .field("timeout", &self.timeout)
            .field("loss_threshold", &self.loss_threshold)
            .field("seed", &self.seed)
            .field("parallelism", &self.parallelism)
            .finish_non_exhaustive()
    }
}

impl Default for FminOptions<'_> {
    fn default() -> Self {
        FminOptions {
            algo: Algo::Default,
            sampler: None,
            max_evals: None,
            timeout: None,
            loss_threshold: None,
            early_stop_fn: None,
            on_trial_end: None,
            points_to_evaluate: Vec::new(),
            seed: None,
            catch_eval_exceptions: true,
            show_progressbar: true,
            parallelism: 1,
            trials_save_file: None,
        }
    }
}

impl<'a> FminOptions<'a> {
    /// Defaults (progress bar on, default sampler, sequential).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the algorithm.
    pub fn algo(mut self, algo: Algo) -> Self {
        self.algo = algo;
        self
    }
    /// Uses a custom sampler.
    pub fn sampler(mut self, s: Box<dyn Sampler + 'a>) -> Self {
        self.sampler = Some(s);
        self
    }
    /// Sets `max_evals`.
    pub fn max_evals(mut self, n: usize) -> Self {
        self.max_evals = Some(n);
        self
    }
    /// Sets the timeout.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// Sets the loss threshold.
    pub fn loss_threshold(mut self, t: f64) -> Self {
        self.loss_threshold = Some(t);
        self
    }
    /// Sets the early-stop function (see [`crate::no_progress_loss`]).
    pub fn early_stop_fn(mut self, f: impl FnMut(&Trials) -> bool + 'a) -> Self {
        self.early_stop_fn = Some(Box::new(f));
        self
    }
    /// Sets the trial-end observer.
    pub fn on_trial_end(mut self, f: impl FnMut(&TrialView<'_>) + 'a) -> Self {
        self.on_trial_end = Some(Box::new(f));
        self
    }
    /// Sets the points evaluated first.
    pub fn points_to_evaluate(mut self, p: Vec<BTreeMap<String, f64>>) -> Self {
        self.points_to_evaluate = p;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = Some(s);
        self
    }
    /// Sets `catch_eval_exceptions`.
    pub fn catch_eval_exceptions(mut self, c: bool) -> Self {
        self.catch_eval_exceptions = c;
        self
    }
    /// Shows or hides the progress bar.
    pub fn show_progressbar(mut self, b: bool) -> Self {
        self.show_progressbar = b;
        self
    }
    /// Sets the number of parallel evaluations.
    pub fn parallelism(mut self, n: usize) -> Self {
        self.parallelism = n;
        self
    }
    /// Saves/resumes trials through this file.
    pub fn trials_save_file(mut self, p: impl Into<PathBuf>) -> Self {
        self.trials_save_file = Some(p.into());
        self
    }
}

/// Why the search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `max_evals` reached.
    MaxEvals,
    /// `timeout` elapsed.
    Timeout,
    /// A loss below `loss_threshold` was seen.
    LossThreshold,
    /// `early_stop_fn` returned true.
    EarlyStop,
    /// The sampler had nothing left (exhausted grid).
    Exhausted,
}

/// Result of [`fmin`].
#[derive(Clone, Debug)]
pub struct FminOutcome {
    /// Hyperopt's `argmin`: raw values of the best trial (choice = index).
    pub argmin: BTreeMap<String, f64>,
    /// The best point evaluated (`space_eval(space, argmin)`).
    pub best: Value,
    /// Its loss.
    pub best_loss: f64,
    /// Its trial id.
    pub best_tid: usize,
    /// Trials evaluated by this call.
    pub n_evaluated: usize,
    /// Why the loop ended.
    pub stop_reason: StopReason,
}

struct Done {
    tid: usize,
    outcome: std::result::Result<TrialResult, String>,
    book: f64,
    refresh: f64,
    duration: f64,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = p.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic with a non-string payload".to_string()
    }
}

fn evaluate<F, R>(f: &F, tid: usize, point: &Value) -> Done
where
    F: Fn(&Value) -> R + Sync,
    R: IntoTrialResult,
{
    let book = unix_now();
    let t0 = Instant::now();
    let outcome = match catch_unwind(AssertUnwindSafe(|| f(point).into_trial_result())) {
        Ok(r) => r,
        Err(p) => Err(panic_message(p)),
    };
    let duration = t0.elapsed().as_secs_f64();
    Done {
        tid,
        outcome,
        book,
        refresh: unix_now(),
        duration,
    }
}

/// Minimizes `objective` over `space` (Hyperopt's `fmin`).
///
/// The objective receives the evaluated point (see [`Space::eval`]) and may
/// return a number, an `Option<f64>`, a [`TrialResult`] or a `Result` of
/// those. Trials are appended to `trials`.
///
/// ```
/// use cairn_tune::{fmin, hp, Expr, FminOptions, Space, Trials, Value};
/// let space = Space::new(Expr::map([("x", hp::uniform("x", -10.0, 10.0))])).unwrap();
/// let mut trials = Trials::new();
/// let out = fmin(
///     |p: &Value| (p["x"].as_f64().unwrap() - 3.0).powi(2),
///     &space,
///     &mut trials,
///     FminOptions::new().max_evals(50).seed(1).show_progressbar(false),
/// ).unwrap();
/// assert_eq!(trials.len(), 50);
/// assert!(out.best_loss < 1.0);
/// ```
pub fn fmin<F, R>(
    objective: F,
    space: &Space,
    trials: &mut Trials,
    mut opts: FminOptions<'_>,
) -> Result<FminOutcome>
where
    F: Fn(&Value) -> R + Sync,
    R: IntoTrialResult,
{
    if opts.parallelism == 0 {
        return Err(TuneError::InvalidOption("parallelism must be >= 1".into()));
    }
    if opts.max_evals.is_none()
        && opts.timeout.is_none()
        && opts.loss_threshold.is_none()
        && opts.early_stop_fn.is_none()
    {
        return Err(TuneError::InvalidOption(
            "no stop condition: set max_evals, timeout, loss_threshold or early_stop_fn".into(),
        ));
    }
    if let Some(t) = opts.loss_threshold
        && t.is_nan()
    {
        return Err(TuneError::InvalidOption("loss_threshold is NaN".into()));
    }
    if let Some(path) = &opts.trials_save_file
        && trials.is_empty()
        && path.exists()
    {
        *trials = Trials::load(path)?;
    }
    trials.validate(space)?;
    let mut points: VecDeque<Assignment> = VecDeque::new();
    if trials.is_empty() {
        for p in &opts.points_to_evaluate {
            points.push_back(
                space
                    .assignment_from_labels(p)
                    .map_err(|e| TuneError::InvalidOption(format!("points_to_evaluate: {e}")))?,
            );
        }
    }
    let mut sampler: Box<dyn Sampler + '_> = match opts.sampler.take() {
        Some(s) => s,
        None => opts.algo.build(space)?,
    };
    let seed = opts.seed.unwrap_or_else(|| {
        std::env::var("CAIRN_FMIN_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(rand::random::<u64>)
    });
    let mut master = rng_from_seed(seed);

    // Assignments and sampler states aligned with `trials.trials()`.
    let mut assigns: Vec<Assignment> = Vec::with_capacity(trials.len());
    let mut states: Vec<ObsState> = Vec::with_capacity(trials.len());
    for t in trials.trials() {
        assigns.push(space.assignment_from_labels(&t.vals)?);
        states.push(match t.loss() {
            Some(l) => ObsState::Ok(l),
            None => ObsState::Failed,
        });
    }
    let budget = opts.max_evals.map_or(usize::MAX, |m| {
        m.saturating_sub(trials.len()).saturating_add(points.len())
    });
    let bar = if opts.show_progressbar {
        let b = indicatif::ProgressBar::new(if budget == usize::MAX {
            0
        } else {
            budget as u64
        });
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{wide_bar} {pos}/{len} [{elapsed_precise}<{eta_precise}] best loss: {msg}",
        ) {
            b.set_style(style);
        }
        b
    } else {
        indicatif::ProgressBar::hidden()
    };

    let start = Instant::now();
    let deadline = opts.timeout.map(|t| start + t);
    let mut next_tid = trials.next_tid();
    let mut pending: Vec<(usize, Assignment)> = Vec::new();
    let mut launched = 0usize;
    let mut finished = 0usize;
    let mut stop: Option<StopReason> = None;
    let mut fatal: Option<TuneError> = None;
    let mut best = trials.best_loss();
    let parallelism = opts.parallelism;

    let (job_tx, job_rx) = mpsc::channel::<(usize, Value)>();
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let job_rx = Mutex::new(job_rx);
    let objective = &objective;
    let result = std::thread::scope(|scope| -> Result<()> {
        let job_tx = job_tx;
        if parallelism > 1 {
            for _ in 0..parallelism {
                let done_tx = done_tx.clone();
                let job_rx = &job_rx;
                scope.spawn(move || {
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok((tid, point)) = job else { return };
                        if done_tx.send(evaluate(objective, tid, &point)).is_err() {
                            return;
                        }
                    }
                });
            }
        }
        let mut inline_done: VecDeque<Done> = VecDeque::new();
        loop {
            // Launch as many trials as allowed.
            while stop.is_none() && fatal.is_none() && pending.len() < parallelism {
                if launched >= budget {
                    stop = Some(StopReason::MaxEvals);
                    break;
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    stop = Some(StopReason::Timeout);
                    break;
                }
                if let (Some(t), Some(b)) = (opts.loss_threshold, best)
                    && b < t
                {
                    stop = Some(StopReason::LossThreshold);
                    break;
                }
                let a = match points.pop_front() {
                    Some(p) => p,
                    None => {
                        let mut obs: Vec<Observation<'_>> = assigns
                            .iter()
                            .zip(&states)
                            .map(|(a, s)| Observation { vals: a, state: *s })
                            .collect();
                        obs.extend(pending.iter().map(|(_, a)| Observation {
                            vals: a,
                            state: ObsState::Pending,
                        }));
                        let history = History { obs };
                        let mut rng = rng_from_seed(master.next_u64());
                        match sampler.suggest(space, &history, &mut rng) {
                            Some(a) => a,
                            None => {
                                stop = Some(StopReason::Exhausted);
                                break;
                            }
                        }
                    }
                };
                let tid = next_tid;
                next_tid += 1;
                launched += 1;
                let point = space.eval(&a);
                pending.push((tid, a));
                if parallelism > 1 {
                    job_tx
                        .send((tid, point))
                        .map_err(|_| TuneError::InvalidOption("worker pool stopped".into()))?;
                } else {
                    inline_done.push_back(evaluate(objective, tid, &point));
                }
            }
            if pending.is_empty() {
                break;
            }
            // Collect one finished trial.
            let done = if let Some(d) = inline_done.pop_front() {
                d
            } else {
                let wait = match (stop, deadline) {
                    (None, Some(d)) => Some(d.saturating_duration_since(Instant::now())),
                    _ => None,
                };
                match wait {
                    Some(w) => match done_rx.recv_timeout(w) {
                        Ok(d) => d,
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            stop = Some(StopReason::Timeout);
                            continue;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    },
                    None => match done_rx.recv() {
                        Ok(d) => d,
                        Err(_) => break,
                    },
                }
            };
            let pos = pending
                .iter()
                .position(|(t, _)| *t == done.tid)
                .expect("pending trial");
            let (tid, a) = pending.swap_remove(pos);
            let (result, error) = match done.outcome {
                Ok(r) => normalize(r),
                Err(msg) => {
                    if !opts.catch_eval_exceptions && fatal.is_none() {
                        fatal = Some(TuneError::Objective {
                            tid,
                            message: msg.clone(),
                        });
                    }
                    (TrialResult::fail(msg.clone()), Some(msg))
                }
            };
            let state = match result.status {
                Status::Ok => ObsState::Ok(result.loss.unwrap_or(f64::INFINITY)),
                Status::Fail => ObsState::Failed,
            };
            if let ObsState::Ok(l) = state
                && best.is_none_or(|b| l < b)
            {
                best = Some(l);
            }
            let trial = Trial {
                tid,
                vals: space.labels(&a),
                result,
                error,
                book_time: done.book,
                refresh_time: done.refresh,
                duration_s: done.duration,
            };
            let idx = trials.push(trial);
            assigns.insert(idx, a);
            states.insert(idx, state);
            finished += 1;
            if let Some(path) = &opts.trials_save_file {
                trials.save(path)?;
            }
            if let Some(cb) = opts.on_trial_end.as_mut() {
                cb(&TrialView {
                    trial: &trials.trials()[idx],
                    space,
                    best_loss: best,
                });
            }
            bar.inc(1);
            if let Some(b) = best {
                bar.set_message(format!("{b:.6}"));
            }
            if let Some(es) = opts.early_stop_fn.as_mut()
                && stop.is_none()
                && es(trials)
            {
                stop = Some(StopReason::EarlyStop);
            }
        }
        drop(job_tx);
        Ok(())
    });
    bar.finish_and_clear();
    result?;
    if let Some(e) = fatal {
        return Err(e);
    }
    let best_trial = trials.best_trial()?;
    Ok(FminOutcome {
        argmin: best_trial.vals.clone(),
        best: best_trial.point(space)?,
        best_loss: best_trial.loss().unwrap_or(f64::INFINITY),
        best_tid: best_trial.tid,
        n_evaluated: finished,
        stop_reason: stop.unwrap_or(StopReason::MaxEvals),
    })
}
