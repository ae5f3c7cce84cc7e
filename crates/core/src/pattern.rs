//! A parser for the STIX 2.1 patterning language (STIX 2.1 §9) into a syntax tree.
//!
//! The parser accepts the whole grammar's shape — observation expressions joined by `AND`,
//! `OR`, `FOLLOWEDBY`, with `WITHIN`/`REPEATS`/`START … STOP` qualifiers; comparison
//! expressions with every operator, `NOT`, and every literal form (strings with `\'` and `\\`
//! escapes, integers, floats, booleans, `t'…'`, `h'…'`, `b'…'`, parenthesised lists) — so a
//! pattern the engine cannot *evaluate* is still understood well enough to say why
//! (`pacific_match::compile` decides that). Keywords are upper-case, as the spec requires.
//!
//! Nothing here panics on any input: every failure is a [`PatternError`] with a byte offset.

use std::fmt;

/// Parentheses and brackets nest at most this deep (a guard against stack exhaustion).
pub const MAX_DEPTH: usize = 64;

/// Why a pattern string is not a STIX pattern.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PatternError {
    #[error("the pattern is empty")]
    Empty,
    #[error("at byte {pos}: expected {expected}, found {found}")]
    Expected {
        pos: usize,
        expected: &'static str,
        found: String,
    },
    #[error("at byte {pos}: unterminated quoted string")]
    UnterminatedString { pos: usize },
    #[error("at byte {pos}: invalid escape in a string (only \\' and \\\\ are allowed)")]
    InvalidEscape { pos: usize },
    #[error("at byte {pos}: invalid number {text:?}")]
    InvalidNumber { pos: usize, text: String },
    #[error("parentheses or brackets nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// A whole pattern: observation expressions and how they combine.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// `[ comparison expression ]`
    Observation(CompExpr),
    Or(Vec<Pattern>),
    And(Vec<Pattern>),
    FollowedBy(Vec<Pattern>),
    Qualified(Box<Pattern>, Qualifier),
}

/// A qualifier on an observation expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Qualifier {
    Within(f64),
    Repeats(i64),
    StartStop(String, String),
}

impl Qualifier {
    pub fn keyword(&self) -> &'static str {
        match self {
            Qualifier::Within(_) => "WITHIN",
            Qualifier::Repeats(_) => "REPEATS",
            Qualifier::StartStop(..) => "START/STOP",
        }
    }
}

/// A comparison expression: the inside of one `[ … ]`.
#[derive(Clone, Debug, PartialEq)]
pub enum CompExpr {
    Cmp(Comparison),
    And(Vec<CompExpr>),
    Or(Vec<CompExpr>),
}

/// `object-path [NOT] op value`
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub path: ObjectPath,
    pub negated: bool,
    pub op: Op,
    pub value: Literal,
}

/// `object-type:property(.step)*`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<PathStep>,
}

/// One step of a property path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// A property name (quoted or not: `hashes.'SHA-256'` has the key `SHA-256`).
    Key(String),
    /// `[n]`, or `[*]` as `None`.
    Index(Option<u64>),
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                        f.write_str(k)?;
                    } else {
                        write!(f, "'{k}'")?;
                    }
                }
                PathStep::Index(Some(n)) => write!(f, "[{n}]")?,
                PathStep::Index(None) => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::In => "IN",
            Op::Like => "LIKE",
            Op::Matches => "MATCHES",
            Op::IsSubset => "ISSUBSET",
            Op::IsSuperset => "ISSUPERSET",
        })
    }
}

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Timestamp(String),
    Hex(String),
    Binary(String),
    List(Vec<Literal>),
}

/// Parses a STIX pattern.
pub fn parse(input: &str) -> Result<Pattern, PatternError> {
    let mut p = Parser {
        s: input.as_bytes(),
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.pos >= p.s.len() {
        return Err(PatternError::Empty);
    }
    let pattern = p.pattern_or()?;
    p.skip_ws();
    if p.pos < p.s.len() {
        return Err(p.expected("AND, OR, FOLLOWEDBY, a qualifier or the end"));
    }
    Ok(pattern)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn found(&self) -> String {
        if self.pos >= self.s.len() {
            return "the end".into();
        }
        let rest = String::from_utf8_lossy(&self.s[self.pos..]);
        let snippet: String = rest.chars().take(16).collect();
        format!("{snippet:?}")
    }

    fn expected(&self, expected: &'static str) -> PatternError {
        PatternError::Expected {
            pos: self.pos,
            expected,
            found: self.found(),
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PatternError::TooDeep);
        }
        Ok(())
    }

    /// Consumes `kw` if it is the next word (followed by a non-word character).
    fn keyword(&mut self, kw: &str) -> bool {
        self.skip_ws();
        let end = self.pos + kw.len();
        if end <= self.s.len()
            && &self.s[self.pos..end] == kw.as_bytes()
            && self
                .s
                .get(end)
                .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn punct(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn pattern_or(&mut self) -> Result<Pattern, PatternError> {
        let mut items = vec![self.pattern_and()?];
        while self.keyword("OR") {
            items.push(self.pattern_and()?);
        }
        Ok(one_or(items, Pattern::Or))
    }

    fn pattern_and(&mut self) -> Result<Pattern, PatternError> {
        let mut items = vec![self.pattern_seq()?];
        while self.keyword("AND") {
            items.push(self.pattern_seq()?);
        }
        Ok(one_or(items, Pattern::And))
    }

    fn pattern_seq(&mut self) -> Result<Pattern, PatternError> {
        let mut items = vec![self.pattern_qualified()?];
        while self.keyword("FOLLOWEDBY") {
            items.push(self.pattern_qualified()?);
        }
        Ok(one_or(items, Pattern::FollowedBy))
    }

    fn pattern_qualified(&mut self) -> Result<Pattern, PatternError> {
        let mut p = self.pattern_atom()?;
        loop {
            if self.keyword("WITHIN") {
                let n = self.number()?;
                let secs = match n {
                    Literal::Int(i) => i as f64,
                    Literal::Float(f) => f,
                    _ => return Err(self.expected("a number of seconds")),
                };
                if !self.keyword("SECONDS") {
                    return Err(self.expected("SECONDS"));
                }
                p = Pattern::Qualified(Box::new(p), Qualifier::Within(secs));
            } else if self.keyword("REPEATS") {
                let Literal::Int(n) = self.number()? else {
                    return Err(self.expected("an integer"));
                };
                if !self.keyword("TIMES") {
                    return Err(self.expected("TIMES"));
                }
                p = Pattern::Qualified(Box::new(p), Qualifier::Repeats(n));
            } else if self.keyword("START") {
                let start = self.timestamp_literal()?;
                if !self.keyword("STOP") {
                    return Err(self.expected("STOP"));
                }
                let stop = self.timestamp_literal()?;
                p = Pattern::Qualified(Box::new(p), Qualifier::StartStop(start, stop));
            } else {
                return Ok(p);
            }
        }
    }

    fn timestamp_literal(&mut self) -> Result<String, PatternError> {
        self.skip_ws();
        if self.peek() == Some(b't') && self.s.get(self.pos + 1) == Some(&b'\'') {
            self.pos += 1;
            self.string()
        } else {
            Err(self.expected("a timestamp t'…'"))
        }
    }

    fn pattern_atom(&mut self) -> Result<Pattern, PatternError> {
        self.enter()?;
        let result = if self.punct(b'[') {
            let expr = self.comp_or()?;
            if !self.punct(b']') {
                return Err(self.expected("']' or AND/OR"));
            }
            Ok(Pattern::Observation(expr))
        } else if self.punct(b'(') {
            let p = self.pattern_or()?;
            if !self.punct(b')') {
                return Err(self.expected("')'"));
            }
            Ok(p)
        } else {
            Err(self.expected("'[' or '('"))
        };
        self.depth -= 1;
        result
    }

    fn comp_or(&mut self) -> Result<CompExpr, PatternError> {
        let mut items = vec![self.comp_and()?];
        while self.keyword("OR") {
            items.push(self.comp_and()?);
        }
        Ok(one_or(items, CompExpr::Or))
    }

    fn comp_and(&mut self) -> Result<CompExpr, PatternError> {
        let mut items = vec![self.comp_atom()?];
        while self.keyword("AND") {
            items.push(self.comp_atom()?);
        }
        Ok(one_or(items, CompExpr::And))
    }

    fn comp_atom(&mut self) -> Result<CompExpr, PatternError> {
        self.enter()?;
        let result = if self.punct(b'(') {
            let e = self.comp_or()?;
            if !self.punct(b')') {
                return Err(self.expected("')'"));
            }
            Ok(e)
        } else {
            self.comparison().map(CompExpr::Cmp)
        };
        self.depth -= 1;
        result
    }

    fn comparison(&mut self) -> Result<Comparison, PatternError> {
        let path = self.object_path()?;
        let negated = self.keyword("NOT");
        let op = self.op()?;
        let value = if op == Op::In {
            self.list()?
        } else {
            self.literal()?
        };
        Ok(Comparison {
            path,
            negated,
            op,
            value,
        })
    }

    fn op(&mut self) -> Result<Op, PatternError> {
        self.skip_ws();
        let two = self.s.get(self.pos..self.pos + 2);
        let op = match two {
            Some(b"!=") => Some((Op::Ne, 2)),
            Some(b">=") => Some((Op::Ge, 2)),
            Some(b"<=") => Some((Op::Le, 2)),
            Some(b"<>") => Some((Op::Ne, 2)),
            _ => match self.peek() {
                Some(b'=') => Some((Op::Eq, 1)),
                Some(b'>') => Some((Op::Gt, 1)),
                Some(b'<') => Some((Op::Lt, 1)),
                _ => None,
            },
        };
        if let Some((op, len)) = op {
            self.pos += len;
            return Ok(op);
        }
        for (kw, op) in [
            ("IN", Op::In),
            ("LIKE", Op::Like),
            ("MATCHES", Op::Matches),
            ("ISSUBSET", Op::IsSubset),
            ("ISSUPERSET", Op::IsSuperset),
        ] {
            if self.keyword(kw) {
                return Ok(op);
            }
        }
        Err(self.expected("a comparison operator"))
    }

    fn ident(&mut self, expected: &'static str) -> Result<String, PatternError> {
        self.skip_ws();
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == start {
            return Err(self.expected(expected));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = self.ident("an object type")?;
        if self.peek() != Some(b':') {
            return Err(self.expected("':' after the object type"));
        }
        self.pos += 1;
        let mut steps = vec![PathStep::Key(self.path_key()?)];
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    steps.push(PathStep::Key(self.path_key()?));
                }
                Some(b'[') => {
                    self.pos += 1;
                    if self.peek() == Some(b'*') {
                        self.pos += 1;
                        steps.push(PathStep::Index(None));
                    } else {
                        let Literal::Int(n) = self.number()? else {
                            return Err(self.expected("a list index"));
                        };
                        let n = u64::try_from(n).map_err(|_| self.expected("a list index"))?;
                        steps.push(PathStep::Index(Some(n)));
                    }
                    if self.peek() != Some(b']') {
                        return Err(self.expected("']'"));
                    }
                    self.pos += 1;
                }
                _ => return Ok(ObjectPath { object_type, steps }),
            }
        }
    }

    fn path_key(&mut self) -> Result<String, PatternError> {
        if self.peek() == Some(b'\'') {
            self.string()
        } else {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if self.pos == start {
                return Err(self.expected("a property name"));
            }
            Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
        }
    }

    /// A quoted string at `pos` (which must be `'`).
    fn string(&mut self) -> Result<String, PatternError> {
        let open = self.pos;
        if self.peek() != Some(b'\'') {
            return Err(self.expected("a quoted string"));
        }
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(PatternError::UnterminatedString { pos: open }),
                Some(b'\'') => {
                    self.pos += 1;
                    // The input is a `str` and we split only at ASCII bytes: still UTF-8.
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    match self.s.get(self.pos + 1) {
                        Some(b'\'') => out.push(b'\''),
                        Some(b'\\') => out.push(b'\\'),
                        None => return Err(PatternError::UnterminatedString { pos: open }),
                        Some(_) => return Err(PatternError::InvalidEscape { pos: self.pos }),
                    }
                    self.pos += 2;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Literal, PatternError> {
        self.skip_ws();
        let start = self.pos;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        let mut float = false;
        while let Some(b) = self.peek() {
            if b.is_ascii_digit() {
                self.pos += 1;
            } else if b == b'.' || b == b'e' || b == b'E' {
                float = true;
                self.pos += 1;
                if matches!(self.peek(), Some(b'-' | b'+')) && b != b'.' {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
        let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
        if !text.bytes().any(|b| b.is_ascii_digit()) {
            self.pos = start;
            return Err(self.expected("a number"));
        }
        let bad = || PatternError::InvalidNumber {
            pos: start,
            text: text.clone(),
        };
        if float {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Literal::Float)
                .ok_or_else(bad)
        } else {
            text.parse::<i64>().map(Literal::Int).map_err(|_| bad())
        }
    }

    fn literal(&mut self) -> Result<Literal, PatternError> {
        self.skip_ws();
        match self.peek() {
            Some(b'\'') => self.string().map(Literal::Str),
            Some(b'(') => self.list(),
            Some(p @ (b't' | b'h' | b'b')) if self.s.get(self.pos + 1) == Some(&b'\'') => {
                self.pos += 1;
                let s = self.string()?;
                Ok(match p {
                    b't' => Literal::Timestamp(s),
                    b'h' => Literal::Hex(s),
                    _ => Literal::Binary(s),
                })
            }
            Some(b'-' | b'+' | b'0'..=b'9') => self.number(),
            _ => {
                if self.keyword("true") {
                    Ok(Literal::Bool(true))
                } else if self.keyword("false") {
                    Ok(Literal::Bool(false))
                } else {
                    Err(self.expected("a value"))
                }
            }
        }
    }

    fn list(&mut self) -> Result<Literal, PatternError> {
        if !self.punct(b'(') {
            return Err(self.expected("'(' starting a list"));
        }
        self.enter()?;
        let mut items = Vec::new();
        if !self.punct(b')') {
            loop {
                items.push(self.literal()?);
                if self.punct(b')') {
                    break;
                }
                if !self.punct(b',') {
                    return Err(self.expected("',' or ')'"));
                }
            }
        }
        self.depth -= 1;
        Ok(Literal::List(items))
    }
}

fn one_or<T>(mut items: Vec<T>, wrap: fn(Vec<T>) -> T) -> T {
    if items.len() == 1 {
        items.pop().expect("one item")
    } else {
        wrap(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(p: &Pattern) -> &Comparison {
        match p {
            Pattern::Observation(CompExpr::Cmp(c)) => c,
            other => panic!("not a single comparison: {other:?}"),
        }
    }

    #[test]
    fn a_simple_comparison_parses() {
        let p = parse("[ipv4-addr:value = '198.51.100.1']").unwrap();
        let c = cmp(&p);
        assert_eq!(c.path.to_string(), "ipv4-addr:value");
        assert_eq!(c.op, Op::Eq);
        assert_eq!(c.value, Literal::Str("198.51.100.1".into()));
        assert!(!c.negated);
    }

    #[test]
    fn quoted_path_steps_and_escaped_quotes() {
        let p = parse(r"[file:hashes.'SHA-256' = 'it\'s \\ here']").unwrap();
        let c = cmp(&p);
        assert_eq!(
            c.path.steps,
            vec![
                PathStep::Key("hashes".into()),
                PathStep::Key("SHA-256".into())
            ]
        );
        assert_eq!(c.value, Literal::Str(r"it's \ here".into()));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let p = parse("[a:x = '1' OR a:y = '2' AND a:z = '3']").unwrap();
        let Pattern::Observation(CompExpr::Or(items)) = p else {
            panic!("expected OR at the top")
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(items[1], CompExpr::And(ref v) if v.len() == 2));
    }

    #[test]
    fn observations_qualifiers_and_lists() {
        let p = parse(
            "([a:x IN ('1', '2')] AND [b:y != 3]) WITHIN 300 SECONDS FOLLOWEDBY [c:z NOT LIKE 'q%'] REPEATS 2 TIMES START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
        )
        .unwrap();
        let Pattern::FollowedBy(items) = p else {
            panic!("expected FOLLOWEDBY")
        };
        assert!(matches!(
            items[0],
            Pattern::Qualified(_, Qualifier::Within(s)) if s == 300.0
        ));
        assert!(matches!(
            items[1],
            Pattern::Qualified(_, Qualifier::StartStop(..))
        ));
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(parse("   "), Err(PatternError::Empty));
        assert!(matches!(
            parse("[a:b = 'x"),
            Err(PatternError::UnterminatedString { pos: 7 })
        ));
        assert!(matches!(
            parse(r"[a:b = 'x\n']"),
            Err(PatternError::InvalidEscape { .. })
        ));
        assert!(matches!(
            parse("[a:b = 'x'] garbage"),
            Err(PatternError::Expected { .. })
        ));
        assert!(matches!(
            parse("[a:b ~ 'x']"),
            Err(PatternError::Expected {
                expected: "a comparison operator",
                ..
            })
        ));
        assert!(matches!(
            parse("[a:b = 99999999999999999999]"),
            Err(PatternError::InvalidNumber { .. })
        ));
        let deep = format!("{}[a:b = 'x']{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(parse(&deep), Err(PatternError::TooDeep));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC*") {
            let _ = parse(&s);
        }

        #[test]
        fn pattern_like_strings_never_panic(s in "[\\[\\]() 'a-z:.=!<>INOTRADLKEW0-9\\\\%*-]{0,80}") {
            let _ = parse(&s);
        }
    }
}
