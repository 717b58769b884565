//! Table and JSON rendering for the script-facing commands.

use cairn_core::{Experiment, Run};
use serde_json::{Value, json};

/// Output format of list/describe commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON document (MLflow's field names) for scripts.
    Json,
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) from ms since the epoch.
pub(crate) fn utc(ms: i64) -> String {
    if ms <= 0 {
        return "-".into();
    }
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn duration(start: i64, end: Option<i64>) -> String {
    match end {
        Some(end) if end >= start && start > 0 => {
            let s = (end - start) as f64 / 1000.0;
            if s < 60.0 {
                format!("{s:.1}s")
            } else {
                format!("{:.1}min", s / 60.0)
            }
        }
        _ => "-".into(),
    }
}

/// Print rows with a header, columns padded to their widest cell.
pub(crate) fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in rows {
        line(row.clone());
    }
}

pub(crate) fn experiment_json(e: &Experiment) -> Value {
    json!({
        "experiment_id": e.experiment_id.to_string(),
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage.as_str(),
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
        "tags": e.tags.iter().map(|t| (t.key.clone(), Value::from(t.value.clone()))).collect::<serde_json::Map<_, _>>(),
    })
}

fn metric_value(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        json!(v.to_string())
    }
}

pub(crate) fn run_json(r: &Run) -> Value {
    json!({
        "run_id": r.info.run_id.to_string(),
        "run_name": r.info.run_name,
        "experiment_id": r.info.experiment_id.to_string(),
        "status": r.info.status.as_str(),
        "user_id": r.info.user_id,
        "start_time": r.info.start_time,
        "end_time": r.info.end_time,
        "artifact_uri": r.info.artifact_uri,
        "lifecycle_stage": r.info.lifecycle_stage.as_str(),
        "params": r.params.iter().map(|p| (p.key.clone(), Value::from(p.value.clone()))).collect::<serde_json::Map<_, _>>(),
        "metrics": r.metrics.iter().map(|m| (m.key.clone(), metric_value(m.value))).collect::<serde_json::Map<_, _>>(),
        "tags": r.tags.iter().map(|t| (t.key.clone(), Value::from(t.value.clone()))).collect::<serde_json::Map<_, _>>(),
    })
}

pub(crate) fn run_row(r: &Run) -> Vec<String> {
    let join = |items: Vec<String>| {
        if items.is_empty() {
            "-".to_string()
        } else {
            items.join(" ")
        }
    };
    vec![
        r.info.run_id.to_string(),
        r.info.run_name.clone(),
        r.info.status.as_str().to_string(),
        utc(r.info.start_time),
        duration(r.info.start_time, r.info.end_time),
        join(
            r.params
                .iter()
                .map(|p| format!("{}={}", p.key, p.value))
                .collect(),
        ),
        join(
            r.metrics
                .iter()
                .map(|m| format!("{}={:.6}", m.key, m.value))
                .collect(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(1_700_000_000_000), "2023-11-14 22:13:20");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc(0), "-");
    }
}
