//! `If-Match` (RFC 9110 §13.1.1) as the domain's [`Precondition`]: `*` asks that the record
//! exist; a list of entity tags asks that its version be one of them. A tag that is not a
//! version Roster issued can never match, so it is a 412 like any stale tag, not a 400.

use roster_domain::use_cases::users::Precondition;

/// `None` when the header is not an entity tag (or list of them) at all. A bare number is
/// accepted as the version too, for clients that strip the quotes.
pub fn parse_if_match(raw: &str) -> Option<Precondition> {
    let raw = raw.trim();
    if raw == "*" {
        return Some(Precondition::Exists);
    }
    let mut versions = Vec::new();
    for tag in raw.split(',').map(str::trim) {
        let opaque = tag.strip_prefix("W/").unwrap_or(tag);
        let inner = match opaque.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(inner) if !inner.contains('"') => inner,
            Some(_) => return None,
            None if !opaque.is_empty() && opaque.bytes().all(|b| b.is_ascii_digit()) => opaque,
            None => return None,
        };
        if let Ok(version) = inner.parse::<u64>() {
            versions.push(version);
        }
    }
    Some(Precondition::Versions(versions))
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
        for junk in ["", "stale", "\"3", "3\"", "\"a\"b\""] {
            assert_eq!(parse_if_match(junk), None, "{junk}");
        }
    }
}
