//! Applies a parsed filter to a resource as SCIM renders it (RFC 7644 §3.4.2.2). The store
//! narrows candidates (see `plan`); this decides, so every operator means the same whichever
//! lookup served the request. Names match without case; strings compare without case except
//! `id` and `externalId`, which RFC 7643 makes case-exact.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::filter::{AttrPath, CompareOp, Filter, FilterValue};
use super::schema::USER_SCHEMA;

/// The member of `object` named `name` in any case.
pub fn get_ci<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The object an attribute path starts from: the resource, or an extension's object in it.
fn container<'a>(
    resource: &'a Map<String, Value>,
    path: &AttrPath,
) -> Option<&'a Map<String, Value>> {
    match path.schema.as_deref() {
        None => Some(resource),
        Some(schema) if schema.eq_ignore_ascii_case(USER_SCHEMA) => Some(resource),
        Some(schema) if schema.eq_ignore_ascii_case(super::schema::GROUP_SCHEMA) => Some(resource),
        Some(schema) => get_ci(resource, schema).and_then(Value::as_object),
    }
}

/// Every value the path names: multi-valued attributes give one per element; a complex
/// attribute without a sub-attribute gives its `value` (`emails co "x"` compares addresses).
fn values<'a>(resource: &'a Map<String, Value>, path: &AttrPath) -> Vec<&'a Value> {
    let Some(object) = container(resource, path) else {
        return vec![];
    };
    let Some(top) = get_ci(object, &path.attribute) else {
        return vec![];
    };
    let elements: Vec<&Value> = match top {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let sub = path.sub_attribute.as_deref();
    elements
        .into_iter()
        .filter_map(|element| match (element, sub) {
            (Value::Object(o), Some(sub)) => get_ci(o, sub),
            (Value::Object(o), None) => get_ci(o, "value"),
            (v, None) => Some(v),
            (_, Some(_)) => None,
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn case_exact(path: &AttrPath) -> bool {
    path.sub_attribute.is_none()
        && (path.attribute.eq_ignore_ascii_case("id")
            || path.attribute.eq_ignore_ascii_case("externalId"))
}

fn compare(actual: &Value, op: CompareOp, wanted: &FilterValue, exact: bool) -> bool {
    let ordering = match (actual, wanted) {
        (Value::String(a), FilterValue::String(w)) => {
            let (a, w) = if exact {
                (a.clone(), w.clone())
            } else {
                (a.to_lowercase(), w.to_lowercase())
            };
            match op {
                CompareOp::Co => return a.contains(&w),
                CompareOp::Sw => return a.starts_with(&w),
                CompareOp::Ew => return a.ends_with(&w),
                _ => a.cmp(&w),
            }
        }
        (Value::Bool(a), FilterValue::Bool(w)) => match op {
            CompareOp::Eq => return a == w,
            CompareOp::Ne => return a != w,
            _ => return false,
        },
        // Entra ID sends booleans as strings ("False").
        (Value::Bool(_), FilterValue::String(w)) => {
            return match w.to_lowercase().parse::<bool>() {
                Ok(w) => compare(actual, op, &FilterValue::Bool(w), exact),
                Err(_) => op == CompareOp::Ne,
            };
        }
        (Value::Number(a), FilterValue::Number(w)) => {
            match a.as_f64().and_then(|a| a.partial_cmp(w)) {
                Some(o) => o,
                None => return false,
            }
        }
        _ => return op == CompareOp::Ne,
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// Whether `resource` matches `filter`.
pub fn matches(filter: &Filter, resource: &Map<String, Value>) -> bool {
    match filter {
        Filter::Compare { path, op, value } => {
            let found = values(resource, path);
            let exact = case_exact(path);
            if *op == CompareOp::Ne {
                // No value equal to it (an absent attribute is not equal).
                return !found
                    .iter()
                    .any(|v| compare(v, CompareOp::Eq, value, exact));
            }
            found.iter().any(|v| compare(v, *op, value, exact))
        }
        Filter::Present(path) => {
            let Some(object) = container(resource, path) else {
                return false;
            };
            match (get_ci(object, &path.attribute), &path.sub_attribute) {
                (Some(v), None) => present(v),
                (Some(_), Some(_)) => values(resource, path).into_iter().any(present),
                (None, _) => false,
            }
        }
        Filter::And(a, b) => matches(a, resource) && matches(b, resource),
        Filter::Or(a, b) => matches(a, resource) || matches(b, resource),
        Filter::Not(inner) => !matches(inner, resource),
        Filter::ValuePath { attribute, filter } => {
            let Some(object) = container(resource, attribute) else {
                return false;
            };
            match get_ci(object, &attribute.attribute) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_object)
                    .any(|item| matches(filter, item)),
                Some(Value::Object(item)) => matches(filter, item),
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_filter;
    use serde_json::json;

    fn bjensen() -> Map<String, Value> {
        json!({
            "id": "01ABC",
            "externalId": "Ext-1",
            "userName": "Bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "active": true,
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "+12015550123", "type": "mobile"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
            "meta": {"lastModified": "2026-12-04T10:00:00Z"}
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn check(filter: &str) -> bool {
        matches(&parse_filter(filter).unwrap(), &bjensen())
    }

    #[test]
    fn operators_over_every_attribute_shape() {
        for yes in [
            r#"userName eq "bjensen""#,
            r#"USERNAME Eq "BJENSEN""#,
            r#"name.familyName co "ens""#,
            r#"emails co "example.com""#,
            r#"emails[type eq "work" and primary eq true]"#,
            r#"emails[type eq "work"]"#,
            r#"phoneNumbers.value ew "0123""#,
            r#"active eq true"#,
            r#"active eq "True""#,
            r#"title pr or userName pr"#,
            r#"not (userName eq "x")"#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales""#,
            r#"meta.lastModified gt "2026-01-01T00:00:00Z""#,
            r#"userName ne "someone""#,
            r#"externalId eq "Ext-1""#,
        ] {
            assert!(check(yes), "{yes}");
        }
        for no in [
            r#"userName eq "bjense""#,
            r#"externalId eq "ext-1""#,
            r#"id eq "01abc""#,
            r#"emails[type eq "home"]"#,
            r#"title pr"#,
            r#"active eq false"#,
            r#"userName ne "BJensen""#,
            r#"userName eq "bjensen" and active eq false"#,
            r#"meta.lastModified lt "2026-01-01T00:00:00Z""#,
        ] {
            assert!(!check(no), "{no}");
        }
    }
}
