//! PATCH (RFC 7644 §3.5.2) applied to a resource as SCIM renders it: the result is then stored
//! exactly as a PUT of it would be, so PATCH and PUT share one mapping and one validation.
//! Accepts what identity providers send: operation names in any case (Entra ID's `Replace`),
//! no `path` with a value object (also with `name.givenName` or schema-URN keys), value
//! filters in paths, and Entra ID's `emails[type eq "work"].value` replace that creates the
//! address when the user has none of that type.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::eval::matches;
use super::filter::{AttrPath, CompareOp, Filter, FilterValue, PatchPath, parse_path};
use super::schema::{ENTERPRISE_USER, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA};

/// Most operations one request may carry.
pub const MAX_OPERATIONS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: Op,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// The operations of a `PatchOp` request body.
pub fn parse_patch(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the body must be a PatchOp object"))?;
    if let Some(schemas) = object.get("schemas") {
        let named = schemas
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(PATCH_OP)));
        if !named {
            return Err(ScimError::invalid_syntax(format!(
                "schemas must contain {PATCH_OP}"
            )));
        }
    }
    let operations = super::eval::get_ci(object, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("Operations must be a list"))?;
    if operations.is_empty() {
        return Err(ScimError::invalid_syntax("Operations is empty"));
    }
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::too_many(format!(
            "at most {MAX_OPERATIONS} operations per request"
        )));
    }
    operations
        .iter()
        .enumerate()
        .map(|(i, o)| parse_operation(i, o))
        .collect()
}

fn parse_operation(index: usize, raw: &Value) -> Result<Operation, ScimError> {
    let object = raw.as_object().ok_or_else(|| {
        ScimError::invalid_syntax(format!("Operations[{index}] must be an object"))
    })?;
    let op = match super::eval::get_ci(object, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("add") => Op::Add,
        Some("replace") => Op::Replace,
        Some("remove") => Op::Remove,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}].op must be add, replace or remove"
            )));
        }
    };
    let path = match super::eval::get_ci(object, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        // The whole extension (`remove` of `urn:…:enterprise:2.0:User`).
        Some(Value::String(p)) if p.trim().eq_ignore_ascii_case(ENTERPRISE_USER) => {
            Some(PatchPath {
                attribute: AttrPath {
                    schema: None,
                    attribute: ENTERPRISE_USER.to_owned(),
                    sub_attribute: None,
                },
                filter: None,
                sub_attribute: None,
            })
        }
        Some(Value::String(p)) => Some(
            parse_path(p)
                .map_err(|e| ScimError::invalid_path(format!("Operations[{index}].path: {e}")))?,
        ),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{index}].path must be a string"
            )));
        }
    };
    let value = super::eval::get_ci(object, "value").cloned();
    match (op, &path, &value) {
        (Op::Remove, None, _) => Err(ScimError::no_target(format!(
            "Operations[{index}]: remove needs a path"
        ))),
        (Op::Add | Op::Replace, _, None) => Err(ScimError::invalid_value(format!(
            "Operations[{index}]: {op:?} needs a value"
        ))),
        (Op::Add | Op::Replace, None, Some(v)) if !v.is_object() => {
            Err(ScimError::invalid_value(format!(
                "Operations[{index}]: without a path the value must be an object of attributes"
            )))
        }
        _ => Ok(Operation { op, path, value }),
    }
}

/// Applies `operations` in order to `resource`.
pub fn apply(resource: &mut Map<String, Value>, operations: &[Operation]) -> Result<(), ScimError> {
    for operation in operations {
        match (&operation.path, &operation.value) {
            (Some(path), value) => apply_at(resource, path, operation.op, value.as_ref())?,
            (None, Some(Value::Object(attributes))) => {
                for (name, value) in attributes {
                    apply_named(resource, name, operation.op, value)?;
                }
            }
            (None, _) => return Err(ScimError::no_target("the operation has no target")),
        }
    }
    Ok(())
}

/// One member of a path-less value: an attribute, a dotted sub-attribute, or an extension
/// schema's URN holding its attributes.
fn apply_named(
    resource: &mut Map<String, Value>,
    name: &str,
    op: Op,
    value: &Value,
) -> Result<(), ScimError> {
    if let Value::Object(inner) = value {
        let core =
            name.eq_ignore_ascii_case(USER_SCHEMA) || name.eq_ignore_ascii_case(GROUP_SCHEMA);
        if core || name.eq_ignore_ascii_case(ENTERPRISE_USER) {
            for (attribute, v) in inner {
                let path = PatchPath {
                    attribute: AttrPath {
                        schema: (!core).then(|| name.to_ascii_lowercase()),
                        attribute: attribute.to_ascii_lowercase(),
                        sub_attribute: None,
                    },
                    filter: None,
                    sub_attribute: None,
                };
                apply_at(resource, &path, op, Some(v))?;
            }
            return Ok(());
        }
    }
    let path = parse_path(name).map_err(|e| ScimError::invalid_path(format!("{name}: {e}")))?;
    apply_at(resource, &path, op, Some(value))
}

/// The key of `object` that names `attribute` in any case, or `attribute` itself.
fn key_of(object: &Map<String, Value>, attribute: &str) -> String {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(attribute))
        .cloned()
        .unwrap_or_else(|| attribute.to_owned())
}

fn target_object<'a>(
    resource: &'a mut Map<String, Value>,
    path: &AttrPath,
) -> Result<&'a mut Map<String, Value>, ScimError> {
    match path.schema.as_deref() {
        None => Ok(resource),
        Some(s) if s.eq_ignore_ascii_case(USER_SCHEMA) || s.eq_ignore_ascii_case(GROUP_SCHEMA) => {
            Ok(resource)
        }
        Some(schema) => {
            let key = key_of(resource, schema);
            let entry = resource
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            entry
                .as_object_mut()
                .ok_or_else(|| ScimError::invalid_path(format!("{schema} is not an object")))
        }
    }
}

/// Makes at most one element `primary`: the last one a value set it on.
fn one_primary(items: &mut [Value]) {
    let last = items.iter().rposition(|i| {
        i.as_object()
            .and_then(|o| super::eval::get_ci(o, "primary"))
            .is_some_and(|p| {
                p == &Value::Bool(true)
                    || p.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
            })
    });
    if let Some(last) = last {
        for (i, item) in items.iter_mut().enumerate() {
            if let Some(o) = item.as_object_mut() {
                let key = key_of(o, "primary");
                if i != last && o.contains_key(&key) {
                    o.insert(key, Value::Bool(false));
                }
            }
        }
    }
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        let key = key_of(into, k);
        into.insert(key, v.clone());
    }
}

fn apply_at(
    resource: &mut Map<String, Value>,
    path: &PatchPath,
    op: Op,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let object = target_object(resource, &path.attribute)?;
    let key = key_of(object, &path.attribute.attribute);
    let sub = path
        .sub_attribute
        .as_deref()
        .or(path.attribute.sub_attribute.as_deref());
    match (&path.filter, sub) {
        (None, None) => {
            match op {
                Op::Remove => match (object.get_mut(&key), value) {
                    // `members` with the values to take out (Okta, Entra ID).
                    (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                        let gone: Vec<&Value> = gone
                            .iter()
                            .map(|g| {
                                g.as_object()
                                    .and_then(|o| super::eval::get_ci(o, "value"))
                                    .unwrap_or(g)
                            })
                            .collect();
                        items.retain(|i| {
                            let v = i
                                .as_object()
                                .and_then(|o| super::eval::get_ci(o, "value"))
                                .unwrap_or(i);
                            !gone.contains(&v)
                        });
                    }
                    _ => {
                        object.remove(&key);
                    }
                },
                Op::Add => {
                    let value = value.cloned().unwrap_or(Value::Null);
                    match (object.get_mut(&key), value) {
                        (Some(Value::Array(items)), Value::Array(more)) => {
                            for v in more {
                                if !items.contains(&v) {
                                    items.push(v);
                                }
                            }
                            one_primary(items);
                        }
                        (Some(Value::Array(items)), v) => {
                            if !items.contains(&v) {
                                items.push(v);
                            }
                            one_primary(items);
                        }
                        (Some(Value::Object(current)), Value::Object(v)) => merge(current, &v),
                        (_, v) => {
                            object.insert(key, v);
                        }
                    }
                }
                Op::Replace => {
                    let value = value.cloned().unwrap_or(Value::Null);
                    match (object.get_mut(&key), value) {
                        (Some(Value::Object(current)), Value::Object(v)) => merge(current, &v),
                        (_, v) => {
                            object.insert(key, v);
                        }
                    }
                }
            }
            Ok(())
        }
        (None, Some(sub)) => {
            let entry = object
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            let targets: Vec<&mut Map<String, Value>> = match entry {
                Value::Object(o) => vec![o],
                Value::Array(items) => items.iter_mut().filter_map(Value::as_object_mut).collect(),
                other => {
                    *other = Value::Object(Map::new());
                    other.as_object_mut().into_iter().collect()
                }
            };
            for target in targets {
                let sub_key = key_of(target, sub);
                match op {
                    Op::Remove => {
                        target.remove(&sub_key);
                    }
                    Op::Add | Op::Replace => {
                        target.insert(sub_key, value.cloned().unwrap_or(Value::Null));
                    }
                }
            }
            Ok(())
        }
        (Some(filter), sub) => {
            let entry = object
                .entry(key.clone())
                .or_insert_with(|| Value::Array(vec![]));
            if !entry.is_array() {
                *entry = Value::Array(vec![]);
            }
            let Value::Array(items) = entry else {
                unreachable!("made an array above")
            };
            let hits: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, i)| i.as_object().is_some_and(|o| matches(filter, o)))
                .map(|(n, _)| n)
                .collect();
            match op {
                Op::Remove => {
                    match sub {
                        Some(sub) => {
                            for &n in &hits {
                                if let Some(o) = items[n].as_object_mut() {
                                    let k = key_of(o, sub);
                                    o.remove(&k);
                                }
                            }
                        }
                        None => {
                            let mut n = 0;
                            items.retain(|_| {
                                let keep = !hits.contains(&n);
                                n += 1;
                                keep
                            });
                        }
                    }
                    if items.is_empty() {
                        object.remove(&key);
                    }
                    Ok(())
                }
                Op::Add | Op::Replace => {
                    let value = value.cloned().unwrap_or(Value::Null);
                    if hits.is_empty() {
                        let mut created = equalities(filter).ok_or_else(|| {
                            ScimError::no_target(format!(
                                "no value of {} matches the path's filter",
                                path.attribute.attribute
                            ))
                        })?;
                        match (sub, value) {
                            (Some(sub), v) => {
                                created.insert(sub.to_owned(), v);
                            }
                            (None, Value::Object(v)) => merge(&mut created, &v),
                            (None, _) => {
                                return Err(ScimError::invalid_value(
                                    "a value filter path without a sub-attribute takes an object",
                                ));
                            }
                        }
                        items.push(Value::Object(created));
                    } else {
                        for &n in &hits {
                            match (sub, &value, items[n].as_object_mut()) {
                                (Some(sub), v, Some(o)) => {
                                    let k = key_of(o, sub);
                                    o.insert(k, v.clone());
                                }
                                (None, Value::Object(v), Some(o)) => merge(o, v),
                                (None, v, _) => items[n] = v.clone(),
                                (Some(_), _, None) => {}
                            }
                        }
                    }
                    one_primary(items);
                    Ok(())
                }
            }
        }
    }
}

/// `type eq "work" and primary eq true` as the object those equalities describe.
fn equalities(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.sub_attribute.is_none() && path.schema.is_none() => {
            let value = match value {
                FilterValue::String(s) => Value::String(s.clone()),
                FilterValue::Bool(b) => Value::Bool(*b),
                FilterValue::Number(n) => serde_json::Number::from_f64(*n).map(Value::Number)?,
                FilterValue::Null => Value::Null,
            };
            let mut m = Map::new();
            m.insert(path.attribute.clone(), value);
            Some(m)
        }
        Filter::And(a, b) => {
            let mut m = equalities(a)?;
            m.extend(equalities(b)?);
            Some(m)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(resource: Value, body: Value) -> Result<Value, ScimError> {
        let mut r = resource.as_object().unwrap().clone();
        apply(&mut r, &parse_patch(&body)?)?;
        Ok(Value::Object(r))
    }

    fn ops(ops: Value) -> Value {
        json!({"schemas": [PATCH_OP], "Operations": ops})
    }

    fn user() -> Value {
        json!({
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "active": true,
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
        })
    }

    #[test]
    fn entra_id_replaces_with_capitals_string_booleans_and_filtered_paths() {
        let r = patched(
            user(),
            ops(json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
                {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+12015550123"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
                {"op": "Replace", "path": "name.familyName", "value": "Smith"}
            ])),
        )
        .unwrap();
        assert_eq!(r["active"], "False");
        assert_eq!(r["emails"][0]["value"], "new@example.com");
        // A new attribute takes the path's name, which names match without case.
        let phones = super::super::eval::get_ci(r.as_object().unwrap(), "phoneNumbers").unwrap();
        assert_eq!(
            phones[0],
            json!({"type": "mobile", "value": "+12015550123"})
        );
        assert_eq!(
            r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"]["department"],
            "Sales"
        );
        assert_eq!(r["name"]["familyName"], "Smith");
        assert_eq!(r["name"]["givenName"], "Barbara");
    }

    #[test]
    fn okta_replaces_without_a_path() {
        let r = patched(
            user(),
            ops(json!([{"op": "replace", "value": {
                "active": false,
                "name.givenName": "Babs",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42"}
            }}])),
        )
        .unwrap();
        assert_eq!(r["active"], false);
        assert_eq!(r["name"]["givenName"], "Babs");
        assert_eq!(
            r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"]["employeenumber"],
            "42"
        );
    }

    #[test]
    fn members_add_and_remove_in_one_request() {
        let group = json!({"displayName": "Night", "members": [{"value": "a"}, {"value": "b"}]});
        let r = patched(
            group,
            ops(json!([
                {"op": "add", "path": "members", "value": [{"value": "c"}, {"value": "d"}]},
                {"op": "remove", "path": "members[value eq \"a\"]"},
                {"op": "remove", "path": "members", "value": [{"value": "b"}]}
            ])),
        )
        .unwrap();
        assert_eq!(r["members"], json!([{"value": "c"}, {"value": "d"}]));
    }

    #[test]
    fn refusals_name_the_operation() {
        let e = patched(user(), ops(json!([{"op": "remove"}]))).unwrap_err();
        assert_eq!(e.scim_type, Some("noTarget"));
        let e = patched(user(), ops(json!([{"op": "jump", "path": "x"}]))).unwrap_err();
        assert!(e.detail.contains("Operations[0].op"), "{}", e.detail);
        let e = patched(
            user(),
            ops(json!([{"op": "add", "path": "emails[type eq", "value": 1}])),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some("invalidPath"));
        let e = patched(
            user(),
            ops(json!([{"op": "replace", "path": "emails[type co \"w\"].value", "value": "x"},
                       {"op": "replace", "path": "phoneNumbers[value co \"1\"].value", "value": "x"}])),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some("noTarget"));
    }

    #[test]
    fn the_whole_extension_can_be_removed() {
        let mut u = user();
        u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
            json!({"department": "Sales"});
        let r = patched(
            u,
            ops(json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}])),
        )
        .unwrap();
        assert!(
            r.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                .is_none()
        );
    }

    #[test]
    fn one_primary_value_at_most() {
        let r = patched(
            user(),
            ops(json!([{"op": "add", "path": "emails", "value": [{"value": "c@example.com", "primary": true}]}])),
        )
        .unwrap();
        assert_eq!(r["emails"][0]["primary"], false);
        assert_eq!(r["emails"][1]["primary"], true);
    }
}
