//! Early-stopping helpers for `fmin`'s `early_stop_fn`.

use crate::trials::Trials;

/// Hyperopt's `no_progress_loss(iteration_stop_count, percent_increase)`:
/// stop after `iteration_stop_count` consecutive trials that did not improve
/// the best loss by more than `percent_increase` percent. Like Hyperopt it
/// looks at the *last* trial only; a failed trial (no loss) resets the
/// counter and the reference, as in Hyperopt.
pub fn no_progress_loss(
    iteration_stop_count: usize,
    percent_increase: f64,
) -> impl FnMut(&Trials) -> bool + Send {
    let mut best: Option<Option<f64>> = None; // None = first call not seen yet
    let mut no_progress = 0usize;
    move |trials: &Trials| {
        let Some(last) = trials.trials().iter().max_by_key(|t| t.tid) else {
            return false;
        };
        let new_loss = last.loss();
        match best {
            None => {
                best = Some(new_loss);
                return false;
            }
            Some(b) => {
                let improved = match (new_loss, b) {
                    (None, _) => true,
                    (Some(_), None) => true,
                    (Some(n), Some(b)) => n < b - b.abs() * percent_increase / 100.0,
                };
                if improved {
                    best = Some(new_loss);
                    no_progress = 0;
                } else {
                    no_progress += 1;
                }
            }
        }
        no_progress >= iteration_stop_count
    }
}
