//! How a SCIM `/Users` filter is served without scanning the tenant: an exact match on the
//! login, an e-mail address or the id is one or two reads (a claim, then the user); a prefix
//! (`sw`) of a searchable name is the users search; anything else is refused honestly, as
//! RFC 7644 allows, instead of reading the whole tenant.

use super::filter::{AttrPath, CompareOp, Filter, FilterValue};

const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:user";

/// What the store does for a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserLookup {
    /// `userName eq "x"`: the login claim (case-insensitive, as logins are).
    ByLogin(String),
    /// `emails eq "x"`, `emails.value eq "x"`, `emails[type eq "work"].value eq "x"`.
    ByEmail(String),
    /// `id eq "x"`.
    ById(String),
    /// `userName sw "x"` (and names, e-mails): the keyword search, then the filter applied
    /// to each hit.
    Search(String),
}

/// Why a filter cannot be served, as SCIM's `scimType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unservable {
    /// The filter is valid SCIM but would need a scan of the tenant (`tooMany`).
    TooMany(String),
}

/// The attribute a path names on a User, without the core schema prefix.
fn user_attribute(path: &AttrPath) -> Option<String> {
    match path.schema.as_deref() {
        None | Some(CORE_USER) => Some(match &path.sub_attribute {
            Some(sub) => format!("{}.{sub}", path.attribute),
            None => path.attribute.clone(),
        }),
        Some(_) => None,
    }
}

fn text(value: &FilterValue) -> Option<&str> {
    match value {
        FilterValue::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// The lookup that serves `filter` on `/Users`; the caller applies the whole filter to what
/// the lookup returns, so a lookup may return more than matches, never less.
pub fn plan_user_filter(filter: &Filter) -> Result<UserLookup, Unservable> {
    match filter {
        Filter::Compare { path, op, value } => {
            let attribute = user_attribute(path)
                .ok_or_else(|| Unservable::TooMany(format!("{path:?} is not indexed")))?;
            let Some(value) = text(value) else {
                return Err(Unservable::TooMany(format!(
                    "{attribute} is only looked up by a string"
                )));
            };
            match (attribute.as_str(), op) {
                ("username", CompareOp::Eq) => Ok(UserLookup::ByLogin(value.to_owned())),
                ("emails" | "emails.value", CompareOp::Eq) => {
                    Ok(UserLookup::ByEmail(value.to_owned()))
                }
                ("id", CompareOp::Eq) => Ok(UserLookup::ById(value.to_owned())),
                (
                    "username" | "name.givenname" | "name.familyname" | "emails" | "emails.value"
                    | "displayname",
                    CompareOp::Sw,
                ) if !value.trim().is_empty() => Ok(UserLookup::Search(value.to_owned())),
                _ => Err(Unservable::TooMany(format!(
                    "a filter on {attribute} with that operator would read every user: filter by userName, emails or id (eq), or a name (sw)"
                ))),
            }
        }
        // emails[type eq "work" and value eq "x"]: the address decides.
        Filter::ValuePath { attribute, filter } => {
            if user_attribute(attribute).as_deref() != Some("emails") {
                return Err(Unservable::TooMany(format!(
                    "{} values are not indexed",
                    attribute.attribute
                )));
            }
            let value = email_in(filter).ok_or_else(|| {
                Unservable::TooMany("an emails filter needs value eq \"address\"".into())
            })?;
            Ok(UserLookup::ByEmail(value))
        }
        // Either side that can be served narrows the whole: the rest is applied after.
        Filter::And(left, right) => plan_user_filter(left).or_else(|_| plan_user_filter(right)),
        Filter::Present(path) => Err(Unservable::TooMany(format!(
            "'{} pr' would read every user",
            path.attribute
        ))),
        Filter::Or(..) | Filter::Not(..) => Err(Unservable::TooMany(
            "or and not would read every user: send one filter per lookup".into(),
        )),
    }
}

/// The address in a filter inside `emails[…]` (`value eq "x"`, perhaps with other terms).
fn email_in(filter: &Filter) -> Option<String> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: FilterValue::String(address),
        } if path.attribute == "value" && path.sub_attribute.is_none() => Some(address.clone()),
        Filter::And(left, right) => email_in(left).or_else(|| email_in(right)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_filter;

    fn plan(text: &str) -> Result<UserLookup, Unservable> {
        plan_user_filter(&parse_filter(text).unwrap())
    }

    #[test]
    fn the_lookups_identity_providers_make_are_reads() {
        assert_eq!(
            plan(r#"userName eq "Bjensen""#),
            Ok(UserLookup::ByLogin("Bjensen".into()))
        );
        assert_eq!(
            plan(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "b""#),
            Ok(UserLookup::ByLogin("b".into()))
        );
        assert_eq!(
            plan(r#"emails[type eq "work" and value eq "b@example.com"]"#),
            Ok(UserLookup::ByEmail("b@example.com".into()))
        );
        assert_eq!(
            plan(r#"emails.value eq "b@example.com""#),
            Ok(UserLookup::ByEmail("b@example.com".into()))
        );
        assert_eq!(
            plan(r#"userName eq "b" and active eq true"#),
            Ok(UserLookup::ByLogin("b".into()))
        );
        assert_eq!(
            plan(r#"name.familyName sw "Jen""#),
            Ok(UserLookup::Search("Jen".into()))
        );
    }

    #[test]
    fn filters_that_would_scan_are_refused_not_served() {
        for text in [
            "title pr",
            r#"userName co "jen""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"not (userName eq "a")"#,
            r#"active eq true"#,
            r#"userName eq true"#,
            r#"phoneNumbers[type eq "work"]"#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#,
        ] {
            assert!(matches!(plan(text), Err(Unservable::TooMany(_))), "{text}");
        }
    }
}
