//! Readers: LIBSVM/svmlight and CSV, from a path (gzip detected by its magic
//! bytes) or from text.
//!
//! LIBSVM lines are `<label> <index>:<value> ...` with 1-based, strictly
//! ascending indices, as Spark's `libsvm` source and scikit-learn's
//! `load_svmlight_file` read them; `#` starts a comment; `qid:` pairs are
//! ignored. Rows are densified (see [`crate::data`] for why). Large files are
//! parsed in parallel chunks on rayon.

use crate::data::Dataset;
use crate::error::{MlError, Result};
use rayon::prelude::*;
use std::io::Read;
use std::path::Path;

/// Reads a whole file, gunzipping when it starts with the gzip magic bytes.
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let io = |source| MlError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len() * 4);
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(io)?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8: {e}"),
        ))
    })
}

/// Options for the LIBSVM reader.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LibsvmOptions {
    /// Number of features (Spark's `numFeatures`); when `None`, the largest index seen.
    /// An index above it is an error.
    pub num_features: Option<usize>,
}

/// Reads a LIBSVM/svmlight file (plain or gzip).
pub fn read_libsvm(path: impl AsRef<Path>, options: &LibsvmOptions) -> Result<Dataset> {
    parse_libsvm(&read_text(path)?, options)
}

struct SparseChunk {
    labels: Vec<f64>,
    /// Per row: (start, end) into `entries`.
    rows: Vec<(usize, usize)>,
    entries: Vec<(u32, f64)>,
    max_index: usize,
}

fn parse_libsvm_chunk(text: &str, first_line: usize) -> Result<SparseChunk> {
    let mut c = SparseChunk {
        labels: Vec::new(),
        rows: Vec::new(),
        entries: Vec::new(),
        max_index: 0,
    };
    for (k, raw) in text.lines().enumerate() {
        let line_no = first_line + k;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |message: String| MlError::Libsvm {
            line: line_no,
            message,
        };
        let mut tokens = line.split_ascii_whitespace();
        let label_tok = tokens.next().unwrap_or("");
        let label: f64 = label_tok
            .parse()
            .map_err(|_| err(format!("label {label_tok:?} is not a number")))?;
        if !label.is_finite() {
            return Err(err(format!("label {label_tok:?} is not finite")));
        }
        let start = c.entries.len();
        let mut prev = 0usize;
        for tok in tokens {
            let (i, v) = tok
                .split_once(':')
                .ok_or_else(|| err(format!("{tok:?} is not index:value")))?;
            if i == "qid" {
                continue;
            }
            let idx: usize = i
                .parse()
                .map_err(|_| err(format!("index {i:?} is not a positive integer")))?;
            if idx == 0 {
                return Err(err("indices are 1-based; found index 0".into()));
            }
            if idx <= prev {
                return Err(err(format!(
                    "indices must be strictly ascending; {idx} follows {prev}"
                )));
            }
            let val: f64 = v
                .parse()
                .map_err(|_| err(format!("value {v:?} of index {idx} is not a number")))?;
            if !val.is_finite() {
                return Err(err(format!("value {v:?} of index {idx} is not finite")));
            }
            prev = idx;
            c.entries.push(((idx - 1) as u32, val));
        }
        c.max_index = c.max_index.max(prev);
        c.rows.push((start, c.entries.len()));
        c.labels.push(label);
    }
    Ok(c)
}

/// Cuts `text` into about `parts` pieces at line boundaries, with each piece's
/// first 1-based line number.
fn line_chunks(text: &str, parts: usize) -> Vec<(&str, usize)> {
    let bytes = text.as_bytes();
    let target = (bytes.len() / parts.max(1)).max(1 << 16);
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + target).min(bytes.len());
        while end < bytes.len() && bytes[end - 1] != b'\n' {
            end += 1;
        }
        chunks.push((start, end));
        start = end;
    }
    let counts: Vec<usize> = chunks
        .par_iter()
        .map(|&(s, e)| bytes[s..e].iter().filter(|&&b| b == b'\n').count())
        .collect();
    let mut line = 1;
    chunks
        .iter()
        .zip(counts)
        .map(|(&(s, e), n)| {
            let out = (&text[s..e], line);
            line += n;
            out
        })
        .collect()
}

/// Parses LIBSVM text.
pub fn parse_libsvm(text: &str, options: &LibsvmOptions) -> Result<Dataset> {
    let chunks = line_chunks(text, rayon::current_num_threads() * 4);
    let parsed: Vec<SparseChunk> = chunks
        .par_iter()
        .map(|&(t, first)| parse_libsvm_chunk(t, first))
        .collect::<Result<_>>()?;
    let max_index = parsed.iter().map(|c| c.max_index).max().unwrap_or(0);
    let d = match options.num_features {
        Some(n) if max_index > n => {
            // find the offending line for the message
            let line = text
                .lines()
                .position(|l| {
                    l.split('#')
                        .next()
                        .unwrap_or("")
                        .split_ascii_whitespace()
                        .skip(1)
                        .any(|t| {
                            t.split_once(':')
                                .and_then(|(i, _)| i.parse::<usize>().ok())
                                .is_some_and(|i| i > n)
                        })
                })
                .map_or(0, |p| p + 1);
            return Err(MlError::Libsvm {
                line,
                message: format!("feature index {max_index} exceeds numFeatures = {n}"),
            });
        }
        Some(n) => n,
        None => max_index,
    };
    let n_rows: usize = parsed.iter().map(|c| c.labels.len()).sum();
    if n_rows == 0 {
        return Err(MlError::Empty("no LIBSVM rows".into()));
    }
    let mut features = vec![0.0f64; n_rows * d];
    let mut labels = Vec::with_capacity(n_rows);
    let mut slices: Vec<&mut [f64]> = Vec::with_capacity(parsed.len());
    let mut rest = features.as_mut_slice();
    for c in &parsed {
        let (a, b) = rest.split_at_mut(c.labels.len() * d);
        slices.push(a);
        rest = b;
        labels.extend_from_slice(&c.labels);
    }
    slices
        .into_par_iter()
        .zip(parsed.par_iter())
        .for_each(|(out, c)| {
            for (r, &(s, e)) in c.rows.iter().enumerate() {
                let row = &mut out[r * d..(r + 1) * d];
                for &(j, v) in &c.entries[s..e] {
                    row[j as usize] = v;
                }
            }
        });
    Dataset::new(features, d, Some(labels))
}

/// Options for the CSV reader.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvOptions {
    /// Name of the label column; `None` reads every column as a feature.
    pub label_column: Option<String>,
    /// Field delimiter.
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            label_column: None,
            delimiter: b',',
        }
    }
}

impl CsvOptions {
    /// Comma-separated with the given label column.
    pub fn with_label(label: &str) -> Self {
        CsvOptions {
            label_column: Some(label.to_string()),
            delimiter: b',',
        }
    }
}

/// Reads a CSV file with a header line (plain or gzip).
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset> {
    parse_csv(&read_text(path)?, options)
}

fn split_fields(line: &str, delim: char) -> Vec<&str> {
    line.split(delim)
        .map(|f| f.trim().trim_matches('"'))
        .collect()
}

/// Parses CSV text: a header line, then numeric rows. Quoted fields are
/// unquoted but may not contain the delimiter.
pub fn parse_csv(text: &str, options: &CsvOptions) -> Result<Dataset> {
    let delim = options.delimiter as char;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| MlError::Empty("CSV has no header line".into()))?;
    let header: Vec<String> = split_fields(header.trim_start_matches('\u{feff}'), delim)
        .into_iter()
        .map(str::to_string)
        .collect();
    let label_idx =
        match &options.label_column {
            Some(name) => Some(header.iter().position(|h| h == name).ok_or_else(|| {
                MlError::MissingColumn {
                    column: name.clone(),
                    available: header.join(", "),
                }
            })?),
            None => None,
        };
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|(j, _)| Some(*j) != label_idx)
        .map(|(_, h)| h.clone())
        .collect();
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut row = 0usize;
    for (_, line) in lines {
        row += 1;
        let cells = split_fields(line, delim);
        if cells.len() != header.len() {
            return Err(MlError::RaggedRow {
                row,
                expected: header.len(),
                found: cells.len(),
            });
        }
        for (j, cell) in cells.iter().enumerate() {
            let v: f64 = cell.parse().map_err(|_| MlError::NonNumeric {
                row,
                column: header[j].clone(),
                value: cell.to_string(),
            })?;
            if !v.is_finite() {
                return Err(MlError::NonFinite {
                    row,
                    column: header[j].clone(),
                    value: v,
                });
            }
            if Some(j) == label_idx {
                labels.push(v);
            } else {
                features.push(v);
            }
        }
    }
    if row == 0 {
        return Err(MlError::Empty("CSV has a header but no rows".into()));
    }
    let label = label_idx.map(|_| labels);
    if names.is_empty() {
        return Err(MlError::Empty(
            "CSV has no feature columns besides the label".into(),
        ));
    }
    Dataset::with_names(features, names, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libsvm_inline_densifies_with_one_based_indices() {
        let d = parse_libsvm(
            "1 1:0.5 3:2\n0 2:1 # comment\n\n2 qid:3 3:-1\n",
            &LibsvmOptions::default(),
        )
        .unwrap();
        assert_eq!(d.n_rows(), 3);
        assert_eq!(d.n_features(), 3);
        assert_eq!(
            d.features(),
            &[0.5, 0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0]
        );
        assert_eq!(d.label().unwrap(), &[1.0, 0.0, 2.0]);
        let d = parse_libsvm(
            "1 1:0.5\n",
            &LibsvmOptions {
                num_features: Some(4),
            },
        )
        .unwrap();
        assert_eq!(d.n_features(), 4);
    }

    #[test]
    fn libsvm_errors_name_the_line() {
        let o = LibsvmOptions::default();
        let cases = [
            (
                "1 1:1\n1 0:1\n",
                "LIBSVM line 2: indices are 1-based; found index 0",
            ),
            (
                "1 2:1 1:1\n",
                "LIBSVM line 1: indices must be strictly ascending; 1 follows 2",
            ),
            ("x 1:1\n", "LIBSVM line 1: label \"x\" is not a number"),
            (
                "1 1:1\n\n1 2:abc\n",
                "LIBSVM line 3: value \"abc\" of index 2 is not a number",
            ),
            (
                "1 1:nan\n",
                "LIBSVM line 1: value \"nan\" of index 1 is not finite",
            ),
            ("1 1\n", "LIBSVM line 1: \"1\" is not index:value"),
        ];
        for (text, msg) in cases {
            assert_eq!(
                parse_libsvm(text, &o).unwrap_err().to_string(),
                msg,
                "{text:?}"
            );
        }
        let e = parse_libsvm(
            "1 1:1\n0 5:1\n",
            &LibsvmOptions {
                num_features: Some(3),
            },
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "LIBSVM line 2: feature index 5 exceeds numFeatures = 3"
        );
        assert!(matches!(
            parse_libsvm("\n# only comment\n", &o),
            Err(MlError::Empty(_))
        ));
    }

    #[test]
    fn csv_reads_named_label() {
        let d = parse_csv("a,y,b\n1,0,2\n3,1,4\n", &CsvOptions::with_label("y")).unwrap();
        assert_eq!(d.feature_names(), &["a".to_string(), "b".to_string()]);
        assert_eq!(d.features(), &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(d.label().unwrap(), &[0.0, 1.0]);
    }

    #[test]
    fn csv_errors_name_row_and_column() {
        let o = CsvOptions::with_label("y");
        let e = parse_csv("a,y\n1,0\n2\n", &o).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CSV row 2: expected 2 cells (as in the header), found 1"
        );
        let e = parse_csv("a,y\n1,0\nfoo,1\n", &o).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CSV row 2, column 'a': \"foo\" is not a number"
        );
        let e = parse_csv("a,y\n,0\n", &o).unwrap_err();
        assert_eq!(e.to_string(), "CSV row 1, column 'a': \"\" is not a number");
        let e = parse_csv("a,y\ninf,0\n", &o).unwrap_err();
        assert_eq!(e.to_string(), "row 1, feature 'a': value inf is not finite");
        let e = parse_csv("a,b\n1,0\n", &o).unwrap_err();
        assert_eq!(
            e.to_string(),
            "column 'y' not found; available columns: a, b"
        );
        assert!(matches!(parse_csv("", &o), Err(MlError::Empty(_))));
    }

    #[test]
    fn gzip_and_plain_files_read_the_same() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.libsvm");
        let gz = dir.path().join("a.libsvm.gz");
        let text = "1 1:1 2:2\n0 2:3\n";
        std::fs::write(&plain, text).unwrap();
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
        let o = LibsvmOptions::default();
        assert_eq!(
            read_libsvm(&plain, &o).unwrap(),
            read_libsvm(&gz, &o).unwrap()
        );
        let missing = read_libsvm(dir.path().join("nope"), &o).unwrap_err();
        assert!(missing.to_string().starts_with("cannot read "));
    }
}
