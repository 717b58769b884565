//! Page tokens: base64 of `{"offset": N}`, as MLflow's SQL store writes them,
//! so tokens from either server look alike to clients.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, Result};

/// Encode an offset as a page token.
pub fn encode(offset: usize) -> String {
    STANDARD.encode(format!("{{\"offset\": {offset}}}"))
}

/// Decode a page token into an offset; absent or empty means 0.
pub fn decode(token: Option<&str>) -> Result<usize> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(0);
    };
    let bad = || Error::invalid(format!("Invalid page token '{token}': could not decode it"));
    let bytes = STANDARD.decode(token.trim()).map_err(|_| bad())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    // A tiny, strict reader for {"offset": N}: no JSON dependency in the domain.
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(bad)?;
    let (key, value) = inner.split_once(':').ok_or_else(bad)?;
    if key.trim() != "\"offset\"" {
        return Err(bad());
    }
    // Offsets become SQL OFFSETs (int64) and get page sizes added to them:
    // anything beyond i64::MAX is a forged token, not a position.
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| i64::try_from(*n).is_ok())
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for n in [0, 1, 999, 123_456] {
            assert_eq!(decode(Some(&encode(n))).unwrap(), n);
        }
        assert_eq!(decode(None).unwrap(), 0);
        assert_eq!(decode(Some("")).unwrap(), 0);
        assert!(decode(Some("!!!")).is_err());
        assert!(decode(Some(&STANDARD.encode("{\"offset\": -1}"))).is_err());
        assert!(decode(Some(&STANDARD.encode("{\"x\": 1}"))).is_err());
        let max = i64::MAX as usize;
        assert_eq!(decode(Some(&encode(max))).unwrap(), max);
        assert!(decode(Some(&encode(max + 1))).is_err());
        assert!(decode(Some(&encode(usize::MAX))).is_err());
    }
}
