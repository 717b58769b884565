//! Splits a filter or `order_by` string into tokens that remember their
//! character position (0-based, in Unicode scalar values, not bytes), so
//! every error can point at the offending token.
//!
//! Quoted text has no escapes, as in MLflow: a doubled quote inside a quoted
//! token does not end it and is kept literally (`'it''s'` is `it''s`).

use std::fmt;

/// A lexing or parsing failure: a message that already names the token and
/// its position. Callers prefix it with the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError(pub(crate) String);

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A bare word: identifier or keyword (`metrics.acc`, `AND`, `tags.`).
    Word,
    /// Text in single or double quotes; `value` holds the content.
    Str,
    /// Text in backticks; `value` holds the content.
    Backtick,
    /// A numeric literal.
    Number(f64),
    /// A comparison operator.
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
    /// End of input.
    End,
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    /// The source text of the token, quotes included.
    pub(crate) raw: String,
    /// Content without quotes for `Str`/`Backtick`, else the raw text.
    pub(crate) value: String,
    /// Character position of the first character.
    pub(crate) pos: usize,
}

impl Token {
    /// Whether this is the bare word `kw`, ignoring ASCII case.
    pub(crate) fn is_keyword(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.raw.eq_ignore_ascii_case(kw)
    }

    /// Whether this is the double-quoted (not single-quoted) text.
    pub(crate) fn is_double_quoted(&self) -> bool {
        self.kind == Kind::Str && self.raw.starts_with('"')
    }
}

impl fmt::Display for Token {
    /// `'x'` for most tokens; quoted tokens show as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::End => f.write_str("end of input"),
            Kind::Str | Kind::Backtick => f.write_str(&self.raw),
            _ => write!(f, "'{}'", self.raw),
        }
    }
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Characters allowed inside a bare word: MLflow's key alphabet (letters,
/// digits, `_ - . / :`) so `tags.mlflow.runName` and `metrics.val/loss` are
/// single words.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | ':')
}

/// Tokenise `input`; the last token is always `End`.
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    let digit_at = |j: usize| chars.get(j).is_some_and(|c| c.is_ascii_digit());
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let kind = if c.is_whitespace() {
            i += 1;
            continue;
        } else if is_word_start(c) {
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            Kind::Word
        } else if c.is_ascii_digit()
            || (c == '.' && digit_at(i + 1))
            || (matches!(c, '-' | '+')
                && (digit_at(i + 1) || (chars.get(i + 1) == Some(&'.') && digit_at(i + 2))))
        {
            if matches!(c, '-' | '+') {
                i += 1;
            }
            while digit_at(i) {
                i += 1;
            }
            if chars.get(i) == Some(&'.') {
                i += 1;
                while digit_at(i) {
                    i += 1;
                }
            }
            if matches!(chars.get(i), Some('e' | 'E')) {
                let sign = usize::from(matches!(chars.get(i + 1), Some('+' | '-')));
                if digit_at(i + 1 + sign) {
                    i += 1 + sign;
                    while digit_at(i) {
                        i += 1;
                    }
                }
            }
            let raw = text(start, i);
            match raw.parse::<f64>() {
                Ok(v) => Kind::Number(v),
                Err(_) => {
                    return Err(SyntaxError(format!(
                        "invalid number '{raw}' at position {start}"
                    )));
                }
            }
        } else if matches!(c, '\'' | '"' | '`') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(SyntaxError(format!(
                            "unterminated quoted text {} at position {start}",
                            text(start, chars.len())
                        )));
                    }
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => i += 2,
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            if c == '`' { Kind::Backtick } else { Kind::Str }
        } else {
            let next = chars.get(i + 1).copied();
            let (kind, len) = match (c, next) {
                ('=', _) => (Kind::Op(CmpOp::Eq), 1),
                ('!', Some('=')) => (Kind::Op(CmpOp::Ne), 2),
                ('<', Some('=')) => (Kind::Op(CmpOp::Le), 2),
                ('<', _) => (Kind::Op(CmpOp::Lt), 1),
                ('>', Some('=')) => (Kind::Op(CmpOp::Ge), 2),
                ('>', _) => (Kind::Op(CmpOp::Gt), 1),
                ('(', _) => (Kind::LParen, 1),
                (')', _) => (Kind::RParen, 1),
                (',', _) => (Kind::Comma, 1),
                _ => {
                    return Err(SyntaxError(format!(
                        "unexpected character '{c}' at position {start}"
                    )));
                }
            };
            i += len;
            kind
        };
        let raw = text(start, i);
        let value = match kind {
            Kind::Str | Kind::Backtick => text(start + 1, i - 1),
            _ => raw.clone(),
        };
        tokens.push(Token {
            kind,
            raw,
            value,
            pos: start,
        });
    }
    tokens.push(Token {
        kind: Kind::End,
        raw: String::new(),
        value: String::new(),
        pos: chars.len(),
    });
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<(Kind, String, usize)> {
        tokenize(input)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.value, t.pos))
            .collect()
    }

    #[test]
    fn words_numbers_operators_and_positions() {
        assert_eq!(
            kinds("metrics.acc>=-1.5e-3 AND(x)"),
            vec![
                (Kind::Word, "metrics.acc".into(), 0),
                (Kind::Op(CmpOp::Ge), ">=".into(), 11),
                (Kind::Number(-1.5e-3), "-1.5e-3".into(), 13),
                (Kind::Word, "AND".into(), 21),
                (Kind::LParen, "(".into(), 24),
                (Kind::Word, "x".into(), 25),
                (Kind::RParen, ")".into(), 26),
                (Kind::End, "".into(), 27),
            ]
        );
    }

    #[test]
    fn quotes_have_no_escapes() {
        let t = tokenize(r#"'it''s' "a'b" `f1 score`"#).unwrap();
        assert_eq!(
            (t[0].kind.clone(), t[0].value.as_str()),
            (Kind::Str, "it''s")
        );
        assert_eq!((t[1].kind.clone(), t[1].value.as_str()), (Kind::Str, "a'b"));
        assert_eq!(
            (t[2].kind.clone(), t[2].value.as_str()),
            (Kind::Backtick, "f1 score")
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let t = tokenize("tags.é = 'ü' #").unwrap_err();
        assert_eq!(t.0, "unexpected character '#' at position 13");
    }

    #[test]
    fn exponent_without_digits_is_not_consumed() {
        assert_eq!(
            kinds("1e x"),
            vec![
                (Kind::Number(1.0), "1".into(), 0),
                (Kind::Word, "e".into(), 1),
                (Kind::Word, "x".into(), 3),
                (Kind::End, "".into(), 4)
            ]
        );
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        assert_eq!(
            tokenize("a = 'abc").unwrap_err().0,
            "unterminated quoted text 'abc at position 4"
        );
    }
}
