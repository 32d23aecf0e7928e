//! SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2): parsed into a tree the store can
//! plan from, or refused with a message naming where the text went wrong (`invalidFilter`,
//! `invalidPath`). Operators and attribute names are case-insensitive, as the RFC says and as
//! Entra ID relies on (`Eq`, `userName EQ "x"`). Input length and nesting are bounded, so a
//! hostile filter costs at most a few microseconds and never the stack.

use std::fmt;

/// Longer filters are refused: no identity provider sends one near it.
pub const MAX_FILTER_CHARS: usize = 4_096;
/// Deeper nesting (parentheses, `not`, value filters) is refused.
pub const MAX_DEPTH: usize = 32;

/// `[schema URN ":"] attribute ["." sub-attribute]`, names lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub schema: Option<String>,
    pub attribute: String,
    pub sub_attribute: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A comparison's value, as JSON spells it.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: FilterValue,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work" and primary eq true]`: some value of the multi-valued
    /// attribute matches the inner filter (whose paths are its sub-attributes).
    ValuePath {
        attribute: AttrPath,
        filter: Box<Filter>,
    },
}

/// A PATCH operation's target: `members`, `emails[type eq "work"].value`,
/// `urn:…:enterprise:2.0:User:department`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attribute: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter (`.value`).
    pub sub_attribute: Option<String>,
}

/// Why a filter or path was refused, and at which character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.at + 1)
    }
}

impl std::error::Error for FilterError {}

/// Parses a `filter` query parameter.
pub fn parse_filter(text: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser::new(text)?;
    let filter = parser.or_expression(0)?;
    parser.skip_spaces();
    parser.expect_end()?;
    Ok(filter)
}

/// Parses a PATCH operation's `path`.
pub fn parse_path(text: &str) -> Result<PatchPath, FilterError> {
    let mut parser = Parser::new(text)?;
    parser.skip_spaces();
    let attribute = parser.attr_path()?;
    let mut path = PatchPath {
        attribute,
        filter: None,
        sub_attribute: None,
    };
    if parser.eat('[') {
        path.filter = Some(parser.or_expression(1)?);
        parser.skip_spaces();
        parser.expect(']')?;
        if parser.eat('.') {
            path.sub_attribute = Some(parser.name()?);
        }
    }
    parser.skip_spaces();
    parser.expect_end()?;
    Ok(path)
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    _text: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Self, FilterError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() > MAX_FILTER_CHARS {
            return Err(FilterError {
                at: MAX_FILTER_CHARS,
                message: format!("the filter is longer than {MAX_FILTER_CHARS} characters"),
            });
        }
        Ok(Self {
            chars,
            pos: 0,
            _text: text,
        })
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            at: self.pos,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), FilterError> {
        if self.eat(c) {
            Ok(())
        } else {
            self.error(format!("expected '{c}'"))
        }
    }

    fn expect_end(&self) -> Result<(), FilterError> {
        match self.peek() {
            None => Ok(()),
            Some(c) => self.error(format!("unexpected '{c}'")),
        }
    }

    /// The next word (letters, digits, and the characters names and URNs use), not consumed.
    fn word_at(&self, from: usize) -> (String, usize) {
        let mut end = from;
        while self
            .chars
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
        {
            end += 1;
        }
        (self.chars[from..end].iter().collect(), end)
    }

    /// A keyword (`and`, `or`, `not`, `pr`) in any case, followed by a space, a bracket or the end.
    fn keyword(&mut self, word: &str) -> bool {
        let save = self.pos;
        self.skip_spaces();
        let (found, end) = self.word_at(self.pos);
        let followed = match self.chars.get(end) {
            None => true,
            Some(c) => c.is_whitespace() || matches!(c, '(' | ')' | ']'),
        };
        if found.eq_ignore_ascii_case(word) && followed {
            self.pos = end;
            true
        } else {
            self.pos = save;
            false
        }
    }

    fn or_expression(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.and_expression(depth)?;
        while self.keyword("or") {
            let right = self.and_expression(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expression(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.unary(depth)?;
        while self.keyword("and") {
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, FilterError> {
        if depth >= MAX_DEPTH {
            return self.error(format!("the filter nests deeper than {MAX_DEPTH} levels"));
        }
        self.skip_spaces();
        if self.keyword("not") {
            self.skip_spaces();
            self.expect('(')?;
            let inner = self.or_expression(depth + 1)?;
            self.skip_spaces();
            self.expect(')')?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.eat('(') {
            let inner = self.or_expression(depth + 1)?;
            self.skip_spaces();
            self.expect(')')?;
            return Ok(inner);
        }
        let path = self.attr_path()?;
        if self.eat('[') {
            let inner = self.or_expression(depth + 1)?;
            self.skip_spaces();
            self.expect(']')?;
            return Ok(Filter::ValuePath {
                attribute: path,
                filter: Box::new(inner),
            });
        }
        if self.keyword("pr") {
            return Ok(Filter::Present(path));
        }
        let op = self.operator()?;
        self.skip_spaces();
        let value = self.value()?;
        Ok(Filter::Compare { path, op, value })
    }

    fn operator(&mut self) -> Result<CompareOp, FilterError> {
        self.skip_spaces();
        let (word, end) = self.word_at(self.pos);
        let op = match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            "" => {
                return self.error("expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)");
            }
            other => return self.error(format!("'{other}' is not a SCIM operator")),
        };
        self.pos = end;
        Ok(op)
    }

    /// A name: a letter, then letters, digits, `_`, `-`, `$`.
    fn name(&mut self) -> Result<String, FilterError> {
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == '$' => {}
            _ => return self.error("expected an attribute name"),
        }
        let (word, end) = self.word_at(self.pos);
        self.pos = end;
        Ok(word.to_ascii_lowercase())
    }

    /// `[urn ":"] name ["." name]`: a URN is every `:`-separated part before the last.
    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        self.skip_spaces();
        let start = self.pos;
        let mut end = start;
        while self
            .chars
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | ':' | '.'))
        {
            end += 1;
        }
        let text: String = self.chars[start..end].iter().collect();
        if text.is_empty() {
            return self.error("expected an attribute name");
        }
        let (schema, rest) = match text.rfind(':') {
            Some(i) => (Some(text[..i].to_ascii_lowercase()), &text[i + 1..]),
            None => (None, text.as_str()),
        };
        let (attribute, sub_attribute) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        let valid = |n: &str| {
            n.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
                && !n.contains('.')
        };
        if !valid(attribute) || sub_attribute.is_some_and(|s| !valid(s)) {
            return self.error(format!("'{text}' is not an attribute path"));
        }
        self.pos = end;
        Ok(AttrPath {
            schema,
            attribute: attribute.to_ascii_lowercase(),
            sub_attribute: sub_attribute.map(str::to_ascii_lowercase),
        })
    }

    fn value(&mut self) -> Result<FilterValue, FilterError> {
        match self.peek() {
            Some('"') => self.string().map(FilterValue::String),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(_) => {
                let (word, end) = self.word_at(self.pos);
                let value = match word.to_ascii_lowercase().as_str() {
                    "true" => FilterValue::Bool(true),
                    "false" => FilterValue::Bool(false),
                    "null" => FilterValue::Null,
                    _ => {
                        return self.error(
                            "expected a value: a \"string\", a number, true, false or null",
                        );
                    }
                };
                self.pos = end;
                Ok(value)
            }
            None => self.error("expected a value"),
        }
    }

    /// A JSON string, escapes included.
    fn string(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    let raw: String = self.chars[start..self.pos].iter().collect();
                    return serde_json::from_str(&raw).map_err(|_| FilterError {
                        at: start,
                        message: "the string is not valid JSON".into(),
                    });
                }
                _ => {}
            }
        }
        Err(FilterError {
            at: start,
            message: "the string is not closed".into(),
        })
    }

    fn number(&mut self) -> Result<FilterValue, FilterError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.pos += 1;
        }
        let raw: String = self.chars[start..self.pos].iter().collect();
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(FilterValue::Number(n)),
            _ => Err(FilterError {
                at: start,
                message: format!("'{raw}' is not a number"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(attribute: &str) -> AttrPath {
        AttrPath {
            schema: None,
            attribute: attribute.into(),
            sub_attribute: None,
        }
    }

    fn eq(attribute: &str, value: &str) -> Filter {
        Filter::Compare {
            path: path(attribute),
            op: CompareOp::Eq,
            value: FilterValue::String(value.into()),
        }
    }

    #[test]
    fn the_call_every_identity_provider_makes_first() {
        assert_eq!(
            parse_filter(r#"userName eq "bjensen""#).unwrap(),
            eq("username", "bjensen")
        );
        // Entra ID's spelling: any case for names and operators.
        assert_eq!(
            parse_filter(r#"UserName Eq "bjensen""#).unwrap(),
            eq("username", "bjensen")
        );
    }

    #[test]
    fn the_rfc_examples_parse() {
        for text in [
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            r#"active eq false"#,
            r#"externalId eq null"#,
            r#"meta.version eq 3"#,
        ] {
            parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_schemas_are_kept() {
        let parsed = parse_filter(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap();
        assert_eq!(
            parsed,
            Filter::Or(
                Box::new(eq("a", "1")),
                Box::new(Filter::And(Box::new(eq("b", "2")), Box::new(eq("c", "3"))))
            )
        );
        let department = parse_filter(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#,
        )
        .unwrap();
        match department {
            Filter::Compare { path, .. } => {
                assert_eq!(
                    path.schema.as_deref(),
                    Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user")
                );
                assert_eq!(path.attribute, "department");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn patch_paths_with_value_filters() {
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attribute, path("emails"));
        assert_eq!(p.filter, Some(eq("type", "work")));
        assert_eq!(p.sub_attribute.as_deref(), Some("value"));
        let members =
            parse_path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#).unwrap();
        assert_eq!(members.attribute, path("members"));
        assert_eq!(
            parse_path("name.givenName")
                .unwrap()
                .attribute
                .sub_attribute
                .as_deref(),
            Some("givenname")
        );
    }

    #[test]
    fn bad_filters_say_where_and_what() {
        for (text, says) in [
            ("", "attribute name"),
            (r#"userName"#, "operator"),
            (r#"userName is "x""#, "not a SCIM operator"),
            (r#"userName eq"#, "value"),
            (r#"userName eq "x"#, "not closed"),
            (r#"userName eq "x" and"#, "attribute name"),
            (r#"(userName eq "x""#, "expected ')'"),
            (r#"emails[type eq "work""#, "expected ']'"),
            (r#"userName eq bjensen"#, "expected a value"),
            (r#"userName eq "x" extra"#, "unexpected"),
            (r#"1abc eq "x""#, "attribute"),
        ] {
            let error = parse_filter(text).unwrap_err();
            assert!(error.message.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn hostile_filters_are_refused_cheaply() {
        let deep = format!("{}a pr{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse_filter(&deep).unwrap_err().message.contains("longer"));
        let nested = format!("{}a pr{}", "not (".repeat(40), ")".repeat(40));
        assert!(
            parse_filter(&nested)
                .unwrap_err()
                .message
                .contains("deeper")
        );
        let ok = format!("{}a pr{}", "(".repeat(20), ")".repeat(20));
        assert!(parse_filter(&ok).is_ok());
    }
}
