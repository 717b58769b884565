//! Model selection: `CrossValidator`, `TrainValidationSplit`,
//! `cross_val_score`, and the observer hook a tracking layer implements.
//!
//! Every (candidate, fold) fit is an independent task. `parallelism` worker
//! threads (plain OS threads, so the learners' own rayon work still uses the
//! global pool) take tasks in order; when the last fold of a candidate
//! finishes, [`CvObserver::on_candidate`] is called from that worker with the
//! candidate's param map and metrics. With `parallelism` 1 the callbacks come
//! in candidate order. All params (every grid cell) are checked before the
//! first fit, so a bad grid fails fast and nothing is reported as done.

use crate::data::{Dataset, shuffled_split};
use crate::error::{MlError, Result};
use crate::evaluation::Evaluator;
use crate::folds::{Fold, FoldRng, KFold, StratifiedKFold};
use crate::param::{ParamMap, ParamRef, ParamValue};
use crate::traits::{Estimator, Transformer};
use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What an observer is told when one candidate param map is fully evaluated.
#[derive(Clone, Debug)]
pub struct CandidateResult<'a> {
    /// Index into the estimator param maps.
    pub index: usize,
    /// The candidate's param map (as given in the grid).
    pub param_map: &'a ParamMap,
    /// Every param of the estimator with this map applied, as a tracking layer
    /// would log them (`stage.param` names for a pipeline).
    pub all_params: Vec<(String, ParamValue)>,
    /// Metric per fold (one value for a train-validation split).
    pub fold_metrics: &'a [f64],
    /// Mean of `fold_metrics`.
    pub avg_metric: f64,
    /// Sample std of `fold_metrics` (0 with one fold).
    pub std_metric: f64,
    /// The evaluator's metric name.
    pub metric_name: &'a str,
    /// Summed fit+evaluate time over the folds.
    pub elapsed: Duration,
}

/// Hook for autologging and progress reporting. Methods have no-op defaults.
pub trait CvObserver: Send + Sync {
    /// Called once per candidate when all its folds are done.
    fn on_candidate(&self, _result: &CandidateResult<'_>) {}
    /// Called after each (candidate, fold) fit and evaluation.
    fn on_fold(&self, _candidate: usize, _fold: usize, _metric: f64) {}
}

/// An observer that does nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;
impl CvObserver for NoObserver {}

/// How CrossValidator assigns rows to folds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    /// Shuffled k-fold (default; seeded).
    Shuffled,
    /// K-fold in data order.
    Ordered,
    /// Stratified on the label, shuffled within classes (seeded).
    StratifiedShuffled,
    /// Stratified on the label in data order (scikit-learn's `cv=k` for classifiers).
    Stratified,
}

/// Folds for `data` by `kind`, shuffled (where `kind` shuffles) by Cairn's
/// generator. See [`make_folds_with`] to choose the generator.
pub fn make_folds(data: &Dataset, k: usize, kind: FoldKind, seed: u64) -> Result<Vec<Fold>> {
    make_folds_with(data, k, kind, seed, FoldRng::Cairn)
}

/// Folds for `data` by `kind`, shuffled by `rng`. With [`FoldRng::NumpyLegacy`],
/// [`FoldKind::Shuffled`] is scikit-learn's `KFold(k, shuffle=True,
/// random_state=seed)` and [`FoldKind::StratifiedShuffled`] its
/// `StratifiedKFold(k, shuffle=True, random_state=seed)`, row for row.
pub fn make_folds_with(
    data: &Dataset,
    k: usize,
    kind: FoldKind,
    seed: u64,
    rng: FoldRng,
) -> Result<Vec<Fold>> {
    let shuffle = matches!(kind, FoldKind::Shuffled | FoldKind::StratifiedShuffled);
    match kind {
        FoldKind::Shuffled | FoldKind::Ordered => KFold {
            k,
            shuffle,
            seed,
            rng,
        }
        .split(data.n_rows()),
        FoldKind::StratifiedShuffled | FoldKind::Stratified => StratifiedKFold {
            k,
            shuffle,
            seed,
            rng,
        }
        .split(data.require_label()?),
    }
}

/// Spark's `CrossValidator`.
#[derive(Debug)]
pub struct CrossValidator<'e, E: Estimator> {
    estimator: E,
    param_maps: Vec<ParamMap>,
    evaluator: &'e dyn Evaluator,
    num_folds: usize,
    fold_kind: FoldKind,
    fold_rng: FoldRng,
    seed: u64,
    seed_per_fold: bool,
    parallelism: usize,
    collect_sub_models: bool,
}

/// Result of [`CrossValidator::fit`].
#[derive(Debug)]
pub struct CrossValidatorModel<M> {
    /// The best candidate refitted on all rows.
    pub best_model: M,
    /// Index of the best candidate.
    pub best_index: usize,
    /// The best candidate's param map.
    pub best_params: ParamMap,
    /// Mean metric per candidate.
    pub avg_metrics: Vec<f64>,
    /// Sample std of the metric per candidate.
    pub std_metrics: Vec<f64>,
    /// `fold_metrics[candidate][fold]`.
    pub fold_metrics: Vec<Vec<f64>>,
    /// `sub_models[fold][candidate]` when `collectSubModels` is on.
    pub sub_models: Option<Vec<Vec<M>>>,
}

impl<M: Transformer> Transformer for CrossValidatorModel<M> {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        self.best_model.transform(data)
    }
}

impl<'e, E: Estimator> CrossValidator<'e, E> {
    /// A validator with Spark's defaults: 3 folds, seed 42, parallelism 1, no sub-models,
    /// shuffled folds drawn by Cairn's generator ([`FoldRng::Cairn`]; Spark's own
    /// folds come from its per-row random numbers, which no other library shares,
    /// so neither generator reproduces Spark's folds).
    pub fn new(estimator: E, param_maps: Vec<ParamMap>, evaluator: &'e dyn Evaluator) -> Self {
        CrossValidator {
            estimator,
            param_maps,
            evaluator,
            num_folds: 3,
            fold_kind: FoldKind::Shuffled,
            fold_rng: FoldRng::Cairn,
            seed: 42,
            seed_per_fold: false,
            parallelism: 1,
            collect_sub_models: false,
        }
    }
    /// Sets `numFolds`.
    pub fn num_folds(mut self, k: usize) -> Self {
        self.num_folds = k;
        self
    }
    /// Sets the fold assignment.
    pub fn fold_kind(mut self, kind: FoldKind) -> Self {
        self.fold_kind = kind;
        self
    }
    /// Sets the generator that shuffles rows into folds. [`FoldRng::NumpyLegacy`]
    /// makes `seed` mean what scikit-learn's `random_state` means: the folds of
    /// `KFold(numFolds, shuffle=True, random_state=seed)` (or of
    /// `StratifiedKFold` with [`FoldKind::StratifiedShuffled`]), for comparing
    /// with, or porting from, a scikit-learn model selection. The seed must
    /// then be in `0..=2^32-1`, as numpy requires.
    pub fn fold_rng(mut self, rng: FoldRng) -> Self {
        self.fold_rng = rng;
        self
    }
    /// Sets `seed`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets `parallelism` (concurrent fits).
    pub fn parallelism(mut self, p: usize) -> Self {
        self.parallelism = p;
        self
    }
    /// Sets `collectSubModels`.
    pub fn collect_sub_models(mut self, on: bool) -> Self {
        self.collect_sub_models = on;
        self
    }
    /// With `on`, fold `k` fits every candidate with each `seed` param of the
    /// estimator (a bare `seed`, or `stage.seed` in a pipeline) raised by `k`,
    /// as a hand-written loop calling `fit(train_k, seed=seed + k)` does; the
    /// refit on all rows keeps the estimator's own seeds, and so do the params
    /// reported to observers. Off by default: as in Spark and scikit-learn,
    /// every fold then fits with the same seed. Example A's scikit-learn
    /// reference seeds its split-candidate sample this way.
    pub fn seed_per_fold(mut self, on: bool) -> Self {
        self.seed_per_fold = on;
        self
    }

    /// Fits without an observer.
    pub fn fit(&self, data: &Dataset) -> Result<CrossValidatorModel<E::Model>> {
        self.fit_with(data, &NoObserver)
    }

    /// Fits every candidate on every fold, reports each candidate to `observer`,
    /// then refits the best candidate on all rows.
    pub fn fit_with(
        &self,
        data: &Dataset,
        observer: &dyn CvObserver,
    ) -> Result<CrossValidatorModel<E::Model>> {
        select(
            &self.estimator,
            &self.param_maps,
            self.evaluator,
            self.parallelism,
            self.collect_sub_models,
            self.seed_per_fold,
            data,
            observer,
            || {
                let folds = make_folds_with(
                    data,
                    self.num_folds,
                    self.fold_kind,
                    self.seed,
                    self.fold_rng,
                )?;
                Ok(folds
                    .par_iter()
                    .map(|f| (data.select(&f.train), data.select(&f.test)))
                    .collect())
            },
        )
    }
}

/// Spark's `TrainValidationSplit`: one seeded split at `trainRatio`.
#[derive(Debug)]
pub struct TrainValidationSplit<'e, E: Estimator> {
    estimator: E,
    param_maps: Vec<ParamMap>,
    evaluator: &'e dyn Evaluator,
    train_ratio: f64,
    seed: u64,
    parallelism: usize,
    collect_sub_models: bool,
}

impl<'e, E: Estimator> TrainValidationSplit<'e, E> {
    /// Defaults: trainRatio 0.75, seed 42, parallelism 1.
    pub fn new(estimator: E, param_maps: Vec<ParamMap>, evaluator: &'e dyn Evaluator) -> Self {
        TrainValidationSplit {
            estimator,
            param_maps,
            evaluator,
            train_ratio: 0.75,
            seed: 42,
            parallelism: 1,
            collect_sub_models: false,
        }
    }
    /// Sets `trainRatio` (must be in (0, 1)).
    pub fn train_ratio(mut self, r: f64) -> Self {
        self.train_ratio = r;
        self
    }
    /// Sets `seed`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets `parallelism`.
    pub fn parallelism(mut self, p: usize) -> Self {
        self.parallelism = p;
        self
    }
    /// Sets `collectSubModels`.
    pub fn collect_sub_models(mut self, on: bool) -> Self {
        self.collect_sub_models = on;
        self
    }
    /// Fits without an observer.
    pub fn fit(&self, data: &Dataset) -> Result<CrossValidatorModel<E::Model>> {
        self.fit_with(data, &NoObserver)
    }
    /// Fits every candidate on the train part, scores on the validation part,
    /// refits the best on all rows. `fold_metrics` has one value per candidate.
    pub fn fit_with(
        &self,
        data: &Dataset,
        observer: &dyn CvObserver,
    ) -> Result<CrossValidatorModel<E::Model>> {
        if !(self.train_ratio > 0.0 && self.train_ratio < 1.0) {
            return Err(MlError::param(
                "trainRatio",
                self.train_ratio,
                "must be in (0, 1)",
            ));
        }
        select(
            &self.estimator,
            &self.param_maps,
            self.evaluator,
            self.parallelism,
            self.collect_sub_models,
            false,
            data,
            observer,
            || {
                let (train, test) = shuffled_split(data.n_rows(), self.train_ratio, self.seed)?;
                Ok(vec![(data.select(&train), data.select(&test))])
            },
        )
    }
}

fn prepare<E: Estimator>(estimator: &E, maps: &[ParamMap]) -> Result<Vec<E>> {
    if maps.is_empty() {
        return Err(MlError::param(
            "estimatorParamMaps",
            "[]",
            "needs at least one param map",
        ));
    }
    maps.iter()
        .map(|m| {
            let e = estimator.copy_with(m)?;
            e.check_params()?;
            Ok(e)
        })
        .collect()
}

type GridOut<M> = (Vec<Vec<f64>>, Option<Vec<Vec<Option<M>>>>);

/// `estimator` with every `seed` param (bare or `stage.seed`) raised by `offset`.
fn with_seed_offset<E: Estimator>(estimator: &E, offset: i64) -> Result<E> {
    let mut map = ParamMap::new();
    for (name, value) in estimator.params() {
        if name == "seed" || name.ends_with(".seed") {
            let seed = value.as_i64(&name)?.wrapping_add(offset);
            map.insert(ParamRef::from(name.as_str()), ParamValue::Int(seed));
        }
    }
    estimator.copy_with(&map)
}

/// The candidates of a grid: their param maps, the estimators as given
/// (what observers are told), and the estimators as each split fits them.
struct Candidates<'a, E> {
    maps: &'a [ParamMap],
    given: Vec<E>,
    /// `per_split[k]` is fitted on split `k`; empty when every split fits `given`.
    per_split: Vec<Vec<E>>,
}

impl<E> Candidates<'_, E> {
    fn fitted_on(&self, split: usize) -> &[E] {
        self.per_split.get(split).unwrap_or(&self.given)
    }
}

/// Evaluates every candidate on every split.
fn run_grid<E: Estimator>(
    candidates: &Candidates<'_, E>,
    splits: &[(Dataset, Dataset)],
    evaluator: &dyn Evaluator,
    parallelism: usize,
    collect: bool,
    observer: &dyn CvObserver,
) -> Result<GridOut<E::Model>> {
    let (estimators, maps) = (&candidates.given, candidates.maps);
    let n_folds = splits.len();
    // Candidates that can share work (equal `share_key`) form one task per
    // fold; every other candidate is a group of its own.
    let keys: Vec<Option<String>> = estimators.iter().map(Estimator::share_key).collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let joined = k
            .as_ref()
            .and_then(|k| groups.iter_mut().find(|g| keys[g[0]].as_ref() == Some(k)));
        match joined {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let n_tasks = groups.len() * n_folds;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    struct State<M> {
        metrics: Vec<Vec<Option<f64>>>,
        elapsed: Vec<Duration>,
        done: Vec<usize>,
        sub: Vec<Vec<Option<M>>>,
        error: Option<(usize, MlError)>,
    }
    let state = Mutex::new(State {
        metrics: vec![vec![None; n_folds]; estimators.len()],
        elapsed: vec![Duration::ZERO; estimators.len()],
        done: vec![0; estimators.len()],
        sub: if collect {
            (0..n_folds)
                .map(|_| (0..estimators.len()).map(|_| None).collect())
                .collect()
        } else {
            Vec::new()
        },
        error: None,
    });
    let metric_name = evaluator.metric_name().to_string();
    let worker = || {
        loop {
            if failed.load(Ordering::Relaxed) {
                break;
            }
            let t = next.fetch_add(1, Ordering::Relaxed);
            if t >= n_tasks {
                break;
            }
            let (group, fold) = (&groups[t / n_folds], t % n_folds);
            let start = Instant::now();
            let (train, test) = &splits[fold];
            let fitted_here = candidates.fitted_on(fold);
            let members: Vec<&E> = group.iter().map(|&c| &fitted_here[c]).collect();
            let fitted = E::fit_many(&members, train);
            // A shared fit's time is split evenly among its candidates.
            let fit_share = start.elapsed() / group.len() as u32;
            let res = fitted.and_then(|models| {
                models
                    .into_iter()
                    .map(|m| {
                        let t0 = Instant::now();
                        let metric = evaluator.evaluate(&m.transform(test)?)?;
                        Ok((m, metric, fit_share + t0.elapsed()))
                    })
                    .collect::<Result<Vec<_>>>()
            });
            let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
            let results = match res {
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    if st.error.as_ref().is_none_or(|(i, _)| t < *i) {
                        st.error = Some((t, e));
                    }
                    continue;
                }
                Ok(r) => r,
            };
            drop(st);
            for (&cand, (model, metric, took)) in group.iter().zip(results) {
                let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                st.metrics[cand][fold] = Some(metric);
                st.elapsed[cand] += took;
                st.done[cand] += 1;
                if collect {
                    st.sub[fold][cand] = Some(model);
                }
                let complete = st.done[cand] == n_folds;
                let fm: Vec<f64> = st.metrics[cand]
                    .iter()
                    .map(|m| m.unwrap_or(f64::NAN))
                    .collect();
                let elapsed = st.elapsed[cand];
                drop(st);
                observer.on_fold(cand, fold, metric);
                if complete {
                    let (avg, std) = mean_std(&fm);
                    observer.on_candidate(&CandidateResult {
                        index: cand,
                        param_map: &maps[cand],
                        all_params: estimators[cand].params(),
                        fold_metrics: &fm,
                        avg_metric: avg,
                        std_metric: std,
                        metric_name: &metric_name,
                        elapsed,
                    });
                }
            }
        }
    };
    if parallelism == 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..parallelism.min(n_tasks) {
                s.spawn(worker);
            }
        });
    }
    let st = state.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some((_, e)) = st.error {
        return Err(e);
    }
    let metrics = st
        .metrics
        .into_iter()
        .map(|r| r.into_iter().map(|m| m.unwrap_or(f64::NAN)).collect())
        .collect();
    Ok((metrics, collect.then_some(st.sub)))
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, std)
}

/// The model-selection core both selectors share: check the options and
/// every candidate's params (before any split or fit), evaluate each
/// candidate on each (train, test) split from `make_splits`, refit the best.
#[allow(clippy::too_many_arguments)]
fn select<E: Estimator>(
    estimator: &E,
    maps: &[ParamMap],
    evaluator: &dyn Evaluator,
    parallelism: usize,
    collect_sub_models: bool,
    seed_per_fold: bool,
    data: &Dataset,
    observer: &dyn CvObserver,
    make_splits: impl FnOnce() -> Result<Vec<(Dataset, Dataset)>>,
) -> Result<CrossValidatorModel<E::Model>> {
    if parallelism == 0 {
        return Err(MlError::param("parallelism", 0, "must be >= 1"));
    }
    let estimators = prepare(estimator, maps)?;
    let splits = make_splits()?;
    // Per fold, the candidates as that fold fits them.
    let per_split: Vec<Vec<E>> = if seed_per_fold {
        (0..splits.len())
            .map(|k| {
                estimators
                    .iter()
                    .map(|e| with_seed_offset(e, k as i64))
                    .collect::<Result<_>>()
            })
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let candidates = Candidates {
        maps,
        given: estimators,
        per_split,
    };
    let (fold_metrics, sub) = run_grid(
        &candidates,
        &splits,
        evaluator,
        parallelism,
        collect_sub_models,
        observer,
    )?;
    finish(estimator, maps, data, evaluator, fold_metrics, sub)
}

fn finish<E: Estimator>(
    estimator: &E,
    maps: &[ParamMap],
    data: &Dataset,
    evaluator: &dyn Evaluator,
    fold_metrics: Vec<Vec<f64>>,
    sub: Option<Vec<Vec<Option<E::Model>>>>,
) -> Result<CrossValidatorModel<E::Model>> {
    let (avg, std): (Vec<f64>, Vec<f64>) = fold_metrics.iter().map(|f| mean_std(f)).unzip();
    let larger = evaluator.is_larger_better();
    let mut best = 0;
    for (i, &m) in avg.iter().enumerate() {
        if (larger && m > avg[best]) || (!larger && m < avg[best]) {
            best = i;
        }
    }
    let best_model = estimator.copy_with(&maps[best])?.fit(data)?;
    let sub_models = sub.map(|s| {
        s.into_iter()
            .map(|row| row.into_iter().flatten().collect())
            .collect()
    });
    Ok(CrossValidatorModel {
        best_model,
        best_index: best,
        best_params: maps[best].clone(),
        avg_metrics: avg,
        std_metrics: std,
        fold_metrics,
        sub_models,
    })
}

/// Fits `estimator` on each fold's training rows and returns the metric on
/// each fold's held-out rows (folds run in parallel on rayon). For
/// scikit-learn's `cross_val_score(clf, X, y)` use
/// `make_folds(data, 5, FoldKind::Stratified, 0)`.
pub fn cross_val_score<E: Estimator>(
    estimator: &E,
    data: &Dataset,
    evaluator: &dyn Evaluator,
    folds: &[Fold],
) -> Result<Vec<f64>> {
    estimator.check_params()?;
    folds
        .par_iter()
        .map(|f| {
            let model = estimator.fit(&data.select(&f.train))?;
            evaluator.evaluate(&model.transform(&data.select(&f.test))?)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::MulticlassClassificationEvaluator;
    use crate::param::ParamGridBuilder;
    use crate::tree::DecisionTreeClassifier;

    fn data() -> Dataset {
        let rows: Vec<Vec<f64>> = (0..60)
            .map(|i| vec![f64::from(i % 10), f64::from(i / 10)])
            .collect();
        let y = (0..60)
            .map(|i| if i % 10 >= 5 { 1.0 } else { 0.0 })
            .collect();
        Dataset::from_rows(&rows, Some(y)).unwrap()
    }

    type Seen = Vec<(usize, Vec<(String, String)>, usize)>;
    struct Recorder(Mutex<Seen>);
    impl CvObserver for Recorder {
        fn on_candidate(&self, r: &CandidateResult<'_>) {
            self.0.lock().unwrap().push((
                r.index,
                r.param_map.to_string_pairs(),
                r.fold_metrics.len(),
            ));
        }
    }

    #[test]
    fn cv_reports_every_candidate_and_picks_the_best() {
        let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
        let grid = ParamGridBuilder::new()
            .add_grid("maxDepth", [0, 1, 2])
            .build();
        let rec = Recorder(Mutex::new(Vec::new()));
        let cv = CrossValidator::new(DecisionTreeClassifier::new(), grid, &ev)
            .num_folds(3)
            .collect_sub_models(true);
        let m = cv.fit_with(&data(), &rec).unwrap();
        let got = rec.0.into_inner().unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (0, vec![("maxDepth".into(), "0".into())], 3));
        assert_eq!(m.best_index, 1);
        assert_eq!(m.avg_metrics[1], 1.0);
        assert_eq!(m.sub_models.as_ref().unwrap().len(), 3);
        assert_eq!(m.sub_models.as_ref().unwrap()[0].len(), 3);
        // parallel run gives the same metrics
        let grid = ParamGridBuilder::new()
            .add_grid("maxDepth", [0, 1, 2])
            .build();
        let par = CrossValidator::new(DecisionTreeClassifier::new(), grid, &ev)
            .parallelism(2)
            .fit(&data())
            .unwrap();
        assert_eq!(par.avg_metrics, m.avg_metrics);
    }

    #[test]
    fn bad_grid_and_settings_fail_before_fitting() {
        let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
        let grid = ParamGridBuilder::new()
            .add_grid("maxDepth", [2, -1])
            .build();
        let rec = Recorder(Mutex::new(Vec::new()));
        let e = CrossValidator::new(DecisionTreeClassifier::new(), grid, &ev)
            .fit_with(&data(), &rec)
            .unwrap_err();
        assert_eq!(e.to_string(), "invalid param maxDepth = -1: must be >= 0");
        assert!(rec.0.lock().unwrap().is_empty());
        let grid = ParamGridBuilder::new().build();
        let e = CrossValidator::new(DecisionTreeClassifier::new(), grid.clone(), &ev)
            .num_folds(61)
            .fit(&data());
        assert_eq!(
            e.unwrap_err().to_string(),
            "cannot make 61 folds from 60 rows"
        );
        let e = TrainValidationSplit::new(DecisionTreeClassifier::new(), grid.clone(), &ev)
            .train_ratio(1.0)
            .fit(&data());
        assert_eq!(
            e.unwrap_err().to_string(),
            "invalid param trainRatio = 1: must be in (0, 1)"
        );
        let tvs = TrainValidationSplit::new(DecisionTreeClassifier::new(), grid, &ev)
            .fit(&data())
            .unwrap();
        assert_eq!(tvs.fold_metrics[0].len(), 1);
    }

    #[test]
    fn cross_val_score_per_fold() {
        let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
        let d = data();
        let folds = make_folds(&d, 5, FoldKind::Stratified, 0).unwrap();
        let s =
            cross_val_score(&DecisionTreeClassifier::new().max_depth(2), &d, &ev, &folds).unwrap();
        assert_eq!(s, vec![1.0; 5]);
    }
}
