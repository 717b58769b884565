//! Search-runs responses encoded by hand.
//!
//! A 1,000-run search page is about a megabyte of JSON. Through serde's
//! derive, every field name of every run, metric, param and tag went
//! through the string escaper again, and the body grew from 128 bytes by
//! doubling; that was most of the encoding cost. This writer produces the
//! same bytes as serializing [`RunDto`]s in MLflow's `SearchRunsResponse`
//! (a test pins it): field names are copied as literals, strings that need
//! no escaping (nearly all) are copied whole, and numbers go through
//! serde_json so their text is unchanged.
//!
//! [`RunDto`]: super::entities::RunDto

use cairn_core::{DatasetInput, Metric, Run, Tag};
use serde::Serializer as _;

use crate::wire::ser_f64;

/// `{"runs":[Run...],"next_page_token":"..."}`, each part omitted when
/// empty, as MLflow (and the serde DTOs) do.
pub fn search_runs_json(runs: &[Run], next_page_token: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + runs.iter().map(estimated_len).sum::<usize>());
    out.push(b'{');
    if !runs.is_empty() {
        out.extend_from_slice(b"\"runs\":[");
        for (i, run) in runs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_run(&mut out, run);
        }
        out.push(b']');
    }
    if let Some(token) = next_page_token {
        if !runs.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"next_page_token\":");
        write_str(&mut out, token);
    }
    out.push(b'}');
    out
}

/// A close upper guess of one run's encoded size, so the buffer is
/// allocated once.
fn estimated_len(run: &Run) -> usize {
    let i = &run.info;
    let texts = 2 * i.run_id.as_str().len() + i.run_name.len() + i.user_id.len();
    let entries: usize = run.metrics.iter().map(|m| m.key.len() + 80).sum::<usize>()
        + run
            .params
            .iter()
            .map(|p| p.key.len() + p.value.len() + 24)
            .sum::<usize>()
        + run
            .tags
            .iter()
            .map(|t| t.key.len() + t.value.len() + 24)
            .sum::<usize>();
    300 + texts + i.artifact_uri.len() + entries + 256 * run.inputs.len()
}

/// MLflow's Run message: `{"info":{...},"data":{...},"inputs":{...}}`.
fn write_run(out: &mut Vec<u8>, run: &Run) {
    let i = &run.info;
    out.extend_from_slice(b"{\"info\":{\"run_id\":");
    write_str(out, i.run_id.as_str());
    out.extend_from_slice(b",\"run_uuid\":");
    write_str(out, i.run_id.as_str());
    out.extend_from_slice(b",\"run_name\":");
    write_str(out, &i.run_name);
    // int64 ids go on the wire as strings.
    out.extend_from_slice(b",\"experiment_id\":\"");
    write_i64(out, i.experiment_id.0);
    out.extend_from_slice(b"\",\"user_id\":");
    write_str(out, &i.user_id);
    out.extend_from_slice(b",\"status\":");
    write_str(out, i.status.as_str());
    out.extend_from_slice(b",\"start_time\":");
    write_i64(out, i.start_time);
    if let Some(end) = i.end_time {
        out.extend_from_slice(b",\"end_time\":");
        write_i64(out, end);
    }
    out.extend_from_slice(b",\"artifact_uri\":");
    write_str(out, &i.artifact_uri);
    out.extend_from_slice(b",\"lifecycle_stage\":");
    write_str(out, i.lifecycle_stage.as_str());
    out.extend_from_slice(b"},\"data\":{");
    let mut first = true;
    if !run.metrics.is_empty() {
        first = false;
        out.extend_from_slice(b"\"metrics\":[");
        write_list(out, &run.metrics, write_metric);
    }
    if !run.params.is_empty() {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.extend_from_slice(b"\"params\":[");
        write_list(out, &run.params, |out, p| {
            write_key_value(out, &p.key, &p.value)
        });
    }
    if !run.tags.is_empty() {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.extend_from_slice(b"\"tags\":[");
        write_list(out, &run.tags, write_tag);
    }
    out.extend_from_slice(b"},\"inputs\":{");
    if !run.inputs.is_empty() {
        out.extend_from_slice(b"\"dataset_inputs\":[");
        write_list(out, &run.inputs, write_input);
    }
    out.extend_from_slice(b"}}");
}

/// The items of a list whose `[` is written, then `]`.
fn write_list<T>(out: &mut Vec<u8>, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

fn write_metric(out: &mut Vec<u8>, m: &Metric) {
    out.extend_from_slice(b"{\"key\":");
    write_str(out, &m.key);
    out.extend_from_slice(b",\"value\":");
    // NaN and the infinities as protobuf-JSON strings, like `MetricDto`.
    let _ = ser_f64(&m.value, &mut serde_json::Serializer::new(&mut *out));
    out.extend_from_slice(b",\"timestamp\":");
    write_i64(out, m.timestamp);
    out.extend_from_slice(b",\"step\":");
    write_i64(out, m.step);
    out.push(b'}');
}

fn write_tag(out: &mut Vec<u8>, t: &Tag) {
    write_key_value(out, &t.key, &t.value);
}

fn write_key_value(out: &mut Vec<u8>, key: &str, value: &str) {
    out.extend_from_slice(b"{\"key\":");
    write_str(out, key);
    out.extend_from_slice(b",\"value\":");
    write_str(out, value);
    out.push(b'}');
}

fn write_input(out: &mut Vec<u8>, input: &DatasetInput) {
    out.push(b'{');
    if !input.tags.is_empty() {
        out.extend_from_slice(b"\"tags\":[");
        write_list(out, &input.tags, write_tag);
        out.push(b',');
    }
    let d = &input.dataset;
    out.extend_from_slice(b"\"dataset\":{\"name\":");
    write_str(out, &d.name);
    out.extend_from_slice(b",\"digest\":");
    write_str(out, &d.digest);
    out.extend_from_slice(b",\"source_type\":");
    write_str(out, &d.source_type);
    out.extend_from_slice(b",\"source\":");
    write_str(out, &d.source);
    if let Some(schema) = &d.schema {
        out.extend_from_slice(b",\"schema\":");
        write_str(out, schema);
    }
    if let Some(profile) = &d.profile {
        out.extend_from_slice(b",\"profile\":");
        write_str(out, profile);
    }
    out.extend_from_slice(b"}}");
}

/// An integer as serde_json writes it.
fn write_i64(out: &mut Vec<u8>, v: i64) {
    let _ = serde_json::Serializer::new(&mut *out).serialize_i64(v);
}

/// Bytes JSON requires escaped (serde_json escapes exactly these; it leaves
/// `/`, DEL and non-ASCII as they are).
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// A JSON string, escaped exactly as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.push(b'"');
    // Or-ing the test over every byte (no early exit) compiles to a vector
    // loop; the escaping loop below only runs for the rare string that
    // needs it.
    if !bytes.iter().fold(false, |any, &b| any | needs_escape(b)) {
        out.extend_from_slice(bytes);
    } else {
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if !needs_escape(b) {
                continue;
            }
            out.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            let short: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                    continue;
                }
            };
            out.extend_from_slice(short);
        }
        out.extend_from_slice(&bytes[start..]);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use cairn_core::{Dataset, ExperimentId, LifecycleStage, Param, RunId, RunInfo, RunStatus};
    use serde::Serialize;

    use super::*;
    use crate::dto::entities::RunDto;

    /// The serde shape the hand encoder replaces (MLflow's SearchRunsResponse).
    #[derive(Serialize)]
    struct SerdeSearchRuns<'a> {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        runs: Vec<RunDto<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_page_token: Option<&'a str>,
    }

    const AWKWARD: &[&str] = &[
        "",
        "plain",
        "ünïcödé ✓ 𝄞",
        "a \"quoted\" \\ back/slash",
        "ctl \u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f} end",
        "\"",
        "\\",
        "</script>",
        "line\nbreak",
    ];

    fn run(n: usize, text: &str) -> Run {
        let values = [
            0.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            1e300,
            5e-324,
            123456789.125,
            1.0,
        ];
        Run {
            info: RunInfo {
                run_id: RunId::generate(),
                experiment_id: ExperimentId(if n.is_multiple_of(2) { 0 } else { i64::MAX }),
                run_name: text.to_owned(),
                user_id: format!("{text}-user"),
                status: [RunStatus::Running, RunStatus::Finished, RunStatus::Failed][n % 3],
                start_time: [i64::MIN, 0, 1_700_000_000_000][n % 3],
                end_time: [None, Some(i64::MAX), Some(-1)][n % 3],
                artifact_uri: format!("mlflow-artifacts:/{text}"),
                lifecycle_stage: if n.is_multiple_of(2) {
                    LifecycleStage::Active
                } else {
                    LifecycleStage::Deleted
                },
            },
            // Some runs have no metrics, params or tags at all.
            metrics: (0..(n % 4) * 3)
                .map(|i| Metric {
                    key: format!("{text}{i}"),
                    value: values[i % values.len()],
                    timestamp: [i64::MAX, i64::MIN, 0][i % 3],
                    step: i as i64 - 1,
                })
                .collect(),
            params: (0..n % 3)
                .map(|i| Param::new(format!("p{i}{text}"), text.to_owned()))
                .collect(),
            tags: (0..(n + 1) % 3)
                .map(|i| Tag::new(format!("t{i}"), format!("{text}{text}")))
                .collect(),
            inputs: (0..n % 2)
                .map(|i| DatasetInput {
                    tags: (0..i + (n % 4) / 2)
                        .map(|j| Tag::new(format!("mlflow.data.context{j}"), text.to_owned()))
                        .collect(),
                    dataset: Dataset {
                        name: text.to_owned(),
                        digest: "d1".into(),
                        source_type: "local".into(),
                        source: format!("{{\"uri\": \"{text}\"}}"),
                        schema: n.is_multiple_of(3).then(|| text.to_owned()),
                        profile: n.is_multiple_of(5).then(|| "{}".to_owned()),
                    },
                })
                .collect(),
        }
    }

    /// The hand encoder writes exactly the serde DTOs' bytes, so it also
    /// parses to the same value.
    #[test]
    fn search_pages_encode_like_the_serde_dtos() {
        let runs: Vec<Run> = AWKWARD
            .iter()
            .cycle()
            .take(3 * AWKWARD.len())
            .enumerate()
            .map(|(n, text)| run(n, text))
            .collect();
        for n in [0, 1, 2, runs.len()] {
            for token in [None, Some("MTAwMA=="), Some("odd \"token\"\n")] {
                let page = &runs[..n];
                let expected = serde_json::to_vec(&SerdeSearchRuns {
                    runs: page.iter().map(RunDto::from).collect(),
                    next_page_token: token,
                })
                .expect("serde encodes");
                let got = search_runs_json(page, token);
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&expected),
                    "{n} runs, token {token:?}"
                );
                let parsed: serde_json::Value = serde_json::from_slice(&got).expect("valid JSON");
                let want: serde_json::Value =
                    serde_json::from_slice(&expected).expect("valid JSON");
                assert_eq!(parsed, want);
            }
        }
    }

    /// Every byte value, alone and inside text, escapes as serde_json does.
    #[test]
    fn strings_escape_like_serde_json() {
        for b in 0u8..=0x7f {
            let c = char::from(b);
            for s in [c.to_string(), format!("ab{c}cd{c}")] {
                let mut got = Vec::new();
                write_str(&mut got, &s);
                assert_eq!(got, serde_json::to_vec(&s).unwrap(), "byte {b:#x}");
            }
        }
    }
}
