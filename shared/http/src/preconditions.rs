//! `If-Match` (RFC 9110 §13.1.1) as the domain's [`Precondition`]: `*` asks that the record
//! exist; a list of entity tags asks that its version be one of them. A tag that is not a
//! version Roster issued can never match, so it is a 412 like any stale tag, not a 400.

use roster_domain::use_cases::users::Precondition;

/// `None` when the header is not an entity tag (or list of them) at all. A bare number is
/// accepted as the version too, for clients that strip the quotes. Tags are read one after
/// the other, not split at commas: a comma is a legal character inside a tag.
pub fn parse_if_match(raw: &str) -> Option<Precondition> {
    let raw = raw.trim();
    if raw == "*" {
        return Some(Precondition::Exists);
    }
    let mut versions = Vec::new();
    let mut rest = raw;
    loop {
        let (weak, opaque) = match rest.strip_prefix("W/") {
            Some(opaque) => (true, opaque),
            None => (false, rest),
        };
        let (inner, after) = match opaque.strip_prefix('"') {
            Some(body) => {
                let end = body.find('"')?;
                (&body[..end], &body[end + 1..])
            }
            None if !weak => {
                let digits = opaque.bytes().take_while(u8::is_ascii_digit).count();
                if digits == 0 {
                    return None;
                }
                opaque.split_at(digits)
            }
            None => return None,
        };
        // etagc: visible ASCII but the quote, or any non-ASCII (RFC 9110 §8.8.3).
        if !inner
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x7E).contains(&b) || b >= 0x80)
        {
            return None;
        }
        if let Ok(version) = inner.parse::<u64>() {
            versions.push(version);
        }
        rest = after.trim_start();
        if rest.is_empty() {
            return Some(Precondition::Versions(versions));
        }
        rest = rest.strip_prefix(',')?.trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_lists_stars_and_junk() {
        assert_eq!(
            parse_if_match("\"3\""),
            Some(Precondition::Versions(vec![3]))
        );
        assert_eq!(
            parse_if_match("W/\"3\""),
            Some(Precondition::Versions(vec![3]))
        );
        assert_eq!(parse_if_match("3"), Some(Precondition::Versions(vec![3])));
        assert_eq!(
            parse_if_match("\"2\", \"4\""),
            Some(Precondition::Versions(vec![2, 4]))
        );
        assert_eq!(parse_if_match(" * "), Some(Precondition::Exists));
        // A well-formed tag Roster never issued: it cannot match (412), it is not malformed.
        assert_eq!(
            parse_if_match("\"stale-0\""),
            Some(Precondition::Versions(vec![]))
        );
        // A comma inside a tag is part of it; a space is not allowed in one.
        assert_eq!(
            parse_if_match("\"ig$,UD7\",    \"4\""),
            Some(Precondition::Versions(vec![4]))
        );
        assert_eq!(
            parse_if_match("2, 4"),
            Some(Precondition::Versions(vec![2, 4]))
        );
        for junk in [
            "", "stale", "\"3", "3\"", "\"a\"b\"", "\" $1X\"", "\"3\",", "W/3",
        ] {
            assert_eq!(parse_if_match(junk), None, "{junk}");
        }
    }
}
