//! Artifact paths that cannot escape their root.
//!
//! MLflow has shipped several path-traversal CVEs in its artifact handlers
//! (`..`, absolute paths, percent-encoded dots and slashes, backslashes on
//! Windows). Every artifact path Cairn touches is parsed into an
//! [`ArtifactPath`] first: a list of plain segments, relative, with none of
//! those forms, so joining it under a root can only name something inside it.

use std::fmt;

use crate::error::{Error, Result};

/// A validated relative artifact path (possibly empty = the root itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ArtifactPath {
    segments: Vec<String>,
}

impl ArtifactPath {
    /// The root.
    pub fn root() -> ArtifactPath {
        ArtifactPath::default()
    }

    /// Parse an already URL-decoded path. Trailing and repeated slashes are
    /// tolerated (`a//b/` = `a/b`); everything that could climb out of the
    /// root or be interpreted differently by another layer is refused.
    pub fn parse(raw: &str) -> Result<ArtifactPath> {
        let bad = |why: &str| Error::invalid(format!("Invalid artifact path '{raw}': {why}"));
        if raw.contains('\0') {
            return Err(bad("it contains a NUL byte"));
        }
        if raw.contains('\\') {
            return Err(bad("backslashes are not allowed"));
        }
        if raw.starts_with('/') {
            return Err(bad("absolute paths are not allowed"));
        }
        if raw.len() >= 2 && raw.as_bytes()[1] == b':' && raw.as_bytes()[0].is_ascii_alphabetic() {
            return Err(bad("drive-letter paths are not allowed"));
        }
        // A '%' left after decoding means double encoding (e.g. %252e%252e);
        // refuse it instead of guessing what a later layer will decode.
        if raw.contains('%') {
            return Err(bad("percent-encoded sequences are not allowed"));
        }
        let mut segments = Vec::new();
        for seg in raw.split('/') {
            match seg {
                "" => continue,
                "." | ".." => return Err(bad("'.' and '..' segments are not allowed")),
                s if s.chars().any(|c| c.is_control()) => {
                    return Err(bad("control characters are not allowed"));
                }
                s => segments.push(s.to_owned()),
            }
        }
        Ok(ArtifactPath { segments })
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The segments.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The last segment, if any.
    pub fn file_name(&self) -> Option<&str> {
        self.segments.last().map(String::as_str)
    }

    /// `self/other`.
    pub fn join(&self, other: &ArtifactPath) -> ArtifactPath {
        let mut segments = self.segments.clone();
        segments.extend(other.segments.iter().cloned());
        ArtifactPath { segments }
    }

    /// The path with `prefix` removed, if it starts with it.
    pub fn strip_prefix(&self, prefix: &ArtifactPath) -> Option<ArtifactPath> {
        self.segments
            .starts_with(&prefix.segments)
            .then(|| ArtifactPath {
                segments: self.segments[prefix.segments.len()..].to_vec(),
            })
    }
}

impl fmt::Display for ArtifactPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segments.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_parse() {
        assert_eq!(
            ArtifactPath::parse("a/b.txt").unwrap().to_string(),
            "a/b.txt"
        );
        assert_eq!(ArtifactPath::parse("a//b/").unwrap().to_string(), "a/b");
        assert!(ArtifactPath::parse("").unwrap().is_root());
        assert_eq!(
            ArtifactPath::parse("model v1/x.json").unwrap().file_name(),
            Some("x.json")
        );
    }

    #[test]
    fn escapes_are_refused() {
        for bad in [
            "..",
            "../x",
            "a/../../x",
            "a/..",
            "./a",
            "/etc/passwd",
            "\\windows",
            "a\\..\\b",
            "C:/x",
            "c:x",
            "%2e%2e/x",
            "a/%2E%2E",
            "%252e%252e",
            "a%2fb",
            "a\0b",
            "a/\n/b",
        ] {
            assert!(
                ArtifactPath::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn join_and_strip() {
        let root = ArtifactPath::parse("1/abc/artifacts").unwrap();
        let p = root.join(&ArtifactPath::parse("d/f").unwrap());
        assert_eq!(p.to_string(), "1/abc/artifacts/d/f");
        assert_eq!(p.strip_prefix(&root).unwrap().to_string(), "d/f");
        assert!(root.strip_prefix(&p).is_none());
    }
}
