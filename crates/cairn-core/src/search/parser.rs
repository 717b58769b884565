//! Recursive-descent parser shared by run and experiment filters and by
//! `order_by` clauses.
//!
//! ```text
//! filter     := ε | or EOF
//! or         := and ( OR and )*
//! and        := primary ( AND primary )*
//! primary    := '(' or ')' | comparison
//! comparison := ident ( cmp value | [I]LIKE string | [NOT] IN '(' string (',' string)* ')'
//!                     | IS [NOT] NULL )
//! ident      := word | word-ending-in-'.' quoted-key | quoted-key
//! ```
//!
//! What an identifier means and which comparisons it accepts is up to a
//! [`Schema`] (runs or experiments); this module only knows the shape.

use super::ast::{Comparison, Condition, Expr, NumberOp, TextOp};
use super::lexer::{CmpOp, Kind, SyntaxError, Token, tokenize};

/// Deepest allowed nesting of parentheses; keeps recursion (here and in the
/// SQL the stores generate) bounded whatever the input.
pub(crate) const MAX_DEPTH: usize = 64;

const RESERVED: [&str; 8] = ["AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"];

/// An identifier as written: optional entity prefix and the key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ident {
    /// The text before the first `.`, if any (`metrics`, `tags`, ...).
    pub(crate) entity: Option<String>,
    /// The key, unquoted.
    pub(crate) key: String,
    /// The identifier's source text.
    pub(crate) raw: String,
    /// Its character position.
    pub(crate) pos: usize,
}

impl Ident {
    /// An error about this identifier: `{what} '{raw}' at position {pos}{rest}`.
    pub(crate) fn error(&self, what: &str, rest: &str) -> SyntaxError {
        SyntaxError(format!(
            "{what} '{}' at position {}{rest}",
            self.raw, self.pos
        ))
    }
}

/// What values and comparators an operand accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Rules {
    /// `= != < <= > >=` against a number.
    Numeric,
    /// `= !=` against a quoted string, plus the optional forms.
    Text {
        /// `LIKE` / `ILIKE`.
        like: bool,
        /// `IN` / `NOT IN`.
        list: bool,
        /// `IS NULL` / `IS NOT NULL`.
        null: bool,
        /// Values must be quoted non-negative integers (experiment ids).
        ids: bool,
    },
}

impl Rules {
    fn supported(&self) -> String {
        match self {
            Rules::Numeric => "=, !=, <, <=, >, >=".to_owned(),
            Rules::Text {
                like, list, null, ..
            } => {
                let mut s = String::from("=, !=");
                if *like {
                    s.push_str(", LIKE, ILIKE");
                }
                if *list {
                    s.push_str(", IN, NOT IN");
                }
                if *null {
                    s.push_str(", IS NULL, IS NOT NULL");
                }
                s
            }
        }
    }
}

/// Resolves identifiers for one kind of search.
pub(crate) trait Schema {
    /// The operand type of the resulting tree.
    type Operand;
    /// Resolve an identifier, or explain why it is not valid here.
    fn operand(ident: &Ident) -> Result<Self::Operand, SyntaxError>;
    /// The operand's comparison rules, and how to name it in messages.
    fn rules(operand: &Self::Operand) -> (Rules, String);
}

/// Parse a whole filter; `None` for an empty or blank one.
pub(crate) fn parse_filter<S: Schema>(
    input: &str,
) -> Result<Option<Expr<S::Operand>>, SyntaxError> {
    let mut p = Parser {
        tokens: tokenize(input)?,
        at: 0,
    };
    if p.peek().kind == Kind::End {
        return Ok(None);
    }
    let expr = p.or::<S>(0)?;
    let t = p.next();
    if t.kind != Kind::End {
        return Err(unexpected(&t, "AND, OR or the end of the filter"));
    }
    Ok(Some(expr))
}

/// Parse one `order_by` clause: `<identifier> [ASC|DESC]`; `true` = ascending.
pub(crate) fn parse_order_clause(input: &str) -> Result<(Ident, bool), SyntaxError> {
    let mut p = Parser {
        tokens: tokenize(input)?,
        at: 0,
    };
    let ident = p.ident()?;
    let mut ascending = true;
    let t = p.next();
    let t = if t.is_keyword("ASC") || t.is_keyword("DESC") {
        ascending = t.is_keyword("ASC");
        p.next()
    } else {
        t
    };
    if t.kind != Kind::End {
        return Err(unexpected(&t, "ASC, DESC or the end of the clause"));
    }
    Ok((ident, ascending))
}

fn unexpected(t: &Token, expected: &str) -> SyntaxError {
    let what = if t.kind == Kind::End {
        "unexpected end of input".to_owned()
    } else {
        format!("unexpected token {t}")
    };
    SyntaxError(format!(
        "{what} at position {} (expected {expected})",
        t.pos
    ))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at]
    }

    /// The next token; stays on `End` once there.
    fn next(&mut self) -> Token {
        let t = self.tokens[self.at].clone();
        if t.kind != Kind::End {
            self.at += 1;
        }
        t
    }

    fn or<S: Schema>(&mut self, depth: usize) -> Result<Expr<S::Operand>, SyntaxError> {
        let mut items = Vec::new();
        push_flat(&mut items, self.and::<S>(depth)?, false);
        while self.peek().is_keyword("OR") {
            self.next();
            push_flat(&mut items, self.and::<S>(depth)?, false);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and<S: Schema>(&mut self, depth: usize) -> Result<Expr<S::Operand>, SyntaxError> {
        let mut items = Vec::new();
        push_flat(&mut items, self.primary::<S>(depth)?, true);
        while self.peek().is_keyword("AND") {
            self.next();
            push_flat(&mut items, self.primary::<S>(depth)?, true);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn primary<S: Schema>(&mut self, depth: usize) -> Result<Expr<S::Operand>, SyntaxError> {
        if self.peek().kind != Kind::LParen {
            return Ok(Expr::Compare(self.comparison::<S>()?));
        }
        let open = self.next();
        if depth >= MAX_DEPTH {
            return Err(SyntaxError(format!(
                "parentheses nested deeper than {MAX_DEPTH} levels at '(' at position {}",
                open.pos
            )));
        }
        let inner = self.or::<S>(depth + 1)?;
        let close = self.next();
        if close.kind != Kind::RParen {
            return Err(unexpected(
                &close,
                &format!("AND, OR or ')' closing '(' at position {}", open.pos),
            ));
        }
        Ok(inner)
    }

    fn ident(&mut self) -> Result<Ident, SyntaxError> {
        let t = self.next();
        match t.kind {
            Kind::Word if !RESERVED.iter().any(|kw| t.is_keyword(kw)) => {
                let mut raw = t.raw.clone();
                let (entity, key) = match t.raw.split_once('.') {
                    Some((entity, "")) => {
                        let q = self.peek().clone();
                        if q.kind == Kind::Backtick || q.is_double_quoted() {
                            self.next();
                            raw.push_str(&q.raw);
                            (Some(entity.to_owned()), q.value)
                        } else {
                            return Err(unexpected(&q, &format!("a key after '{}'", t.raw)));
                        }
                    }
                    Some((entity, key)) => (Some(entity.to_owned()), key.to_owned()),
                    None => {
                        // `run name` / `Run name` / `Run Name`: MLflow's
                        // aliases of run_name that contain a space.
                        let next = self.peek();
                        let joined = format!("{} {}", t.raw, next.raw);
                        if next.kind == Kind::Word
                            && matches!(joined.as_str(), "run name" | "Run name" | "Run Name")
                        {
                            self.next();
                            raw = joined.clone();
                            (None, joined)
                        } else {
                            (None, t.raw.clone())
                        }
                    }
                };
                if key.is_empty() {
                    return Err(SyntaxError(format!(
                        "empty key in '{raw}' at position {}",
                        t.pos
                    )));
                }
                Ok(Ident {
                    entity,
                    key,
                    raw,
                    pos: t.pos,
                })
            }
            Kind::Backtick | Kind::Str if t.kind == Kind::Backtick || t.is_double_quoted() => {
                if t.value.is_empty() {
                    return Err(SyntaxError(format!("empty key {t} at position {}", t.pos)));
                }
                Ok(Ident {
                    entity: None,
                    key: t.value.clone(),
                    raw: t.raw.clone(),
                    pos: t.pos,
                })
            }
            _ => Err(unexpected(
                &t,
                "an identifier such as metrics.<key>, params.<key>, tags.<key> or an attribute",
            )),
        }
    }

    fn comparison<S: Schema>(&mut self) -> Result<Comparison<S::Operand>, SyntaxError> {
        let ident = self.ident()?;
        let operand = S::operand(&ident)?;
        let (rules, what) = S::rules(&operand);
        let op = self.next();
        let denied = |text: &str| {
            SyntaxError(format!(
                "comparator '{text}' at position {} is not supported for {what} (supported: {})",
                op.pos,
                rules.supported()
            ))
        };
        let condition = match op.kind {
            Kind::Op(cmp) => {
                let value = self.next();
                match rules {
                    Rules::Numeric => Condition::Number {
                        op: number_op(cmp),
                        value: number_value(&value, &what)?,
                    },
                    Rules::Text { ids, .. } => {
                        let op = match cmp {
                            CmpOp::Eq => TextOp::Eq,
                            CmpOp::Ne => TextOp::Ne,
                            _ => return Err(denied(&op.raw)),
                        };
                        Condition::Text {
                            op,
                            value: text_value(&value, &what, ids)?,
                        }
                    }
                }
            }
            Kind::Word if op.is_keyword("LIKE") || op.is_keyword("ILIKE") => {
                let Rules::Text {
                    like: true, ids, ..
                } = rules
                else {
                    return Err(denied(&op.raw.to_ascii_uppercase()));
                };
                let value = self.next();
                let op = if op.is_keyword("LIKE") {
                    TextOp::Like
                } else {
                    TextOp::ILike
                };
                Condition::Text {
                    op,
                    value: text_value(&value, &what, ids)?,
                }
            }
            Kind::Word if op.is_keyword("IN") || op.is_keyword("NOT") => {
                let negated = op.is_keyword("NOT");
                if negated {
                    let t = self.next();
                    if !t.is_keyword("IN") {
                        return Err(unexpected(&t, "IN after NOT"));
                    }
                }
                let Rules::Text {
                    list: true, ids, ..
                } = rules
                else {
                    return Err(denied(if negated { "NOT IN" } else { "IN" }));
                };
                Condition::InList {
                    negated,
                    values: self.list(&what, ids)?,
                }
            }
            Kind::Word if op.is_keyword("IS") => {
                let mut t = self.next();
                let negated = t.is_keyword("NOT");
                if negated {
                    t = self.next();
                }
                if !t.is_keyword("NULL") {
                    return Err(unexpected(
                        &t,
                        if negated { "NULL" } else { "NULL or NOT NULL" },
                    ));
                }
                let Rules::Text { null: true, .. } = rules else {
                    return Err(denied(if negated { "IS NOT NULL" } else { "IS NULL" }));
                };
                Condition::Null { negated }
            }
            _ => {
                return Err(unexpected(
                    &op,
                    "a comparator: =, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS",
                ));
            }
        };
        Ok(Comparison { operand, condition })
    }

    /// `'(' string (',' string)* ')'`
    fn list(&mut self, what: &str, ids: bool) -> Result<Vec<String>, SyntaxError> {
        let open = self.next();
        if open.kind != Kind::LParen {
            return Err(unexpected(&open, "'(' starting a list of quoted strings"));
        }
        let mut values = Vec::new();
        loop {
            let v = self.next();
            values.push(text_value(&v, what, ids)?);
            let sep = self.next();
            match sep.kind {
                Kind::Comma => continue,
                Kind::RParen => return Ok(values),
                _ => return Err(unexpected(&sep, "',' or ')'")),
            }
        }
    }
}

/// Append `e` to an AND (`and == true`) or OR list, splicing in a nested
/// list of the same kind.
fn push_flat<O>(items: &mut Vec<Expr<O>>, e: Expr<O>, and: bool) {
    match e {
        Expr::And(inner) if and => items.extend(inner),
        Expr::Or(inner) if !and => items.extend(inner),
        other => items.push(other),
    }
}

fn number_op(cmp: CmpOp) -> NumberOp {
    match cmp {
        CmpOp::Eq => NumberOp::Eq,
        CmpOp::Ne => NumberOp::Ne,
        CmpOp::Lt => NumberOp::Lt,
        CmpOp::Le => NumberOp::Le,
        CmpOp::Gt => NumberOp::Gt,
        CmpOp::Ge => NumberOp::Ge,
    }
}

/// Whether `t` could be a value at all (else it is a syntax error, not a type error).
fn is_value_like(t: &Token) -> bool {
    matches!(
        t.kind,
        Kind::Number(_) | Kind::Str | Kind::Backtick | Kind::Word
    )
}

fn number_value(t: &Token, what: &str) -> Result<f64, SyntaxError> {
    match t.kind {
        Kind::Number(v) => Ok(v),
        _ if !is_value_like(t) => Err(unexpected(t, &format!("a number for {what}"))),
        _ => Err(SyntaxError(format!(
            "expected a number for {what} but found {t} at position {}",
            t.pos
        ))),
    }
}

fn text_value(t: &Token, what: &str, ids: bool) -> Result<String, SyntaxError> {
    if !is_value_like(t) {
        return Err(unexpected(t, &format!("a quoted string for {what}")));
    }
    if t.kind != Kind::Str {
        return Err(SyntaxError(format!(
            "expected a quoted string for {what} but found {t} at position {}",
            t.pos
        )));
    }
    if !ids {
        return Ok(t.value.clone());
    }
    match t.value.parse::<i64>() {
        Ok(id) if id >= 0 && t.value.bytes().all(|b| b.is_ascii_digit()) => Ok(id.to_string()),
        _ => Err(SyntaxError(format!(
            "invalid experiment ID {t} at position {} (expected a non-negative integer in quotes)",
            t.pos
        ))),
    }
}
