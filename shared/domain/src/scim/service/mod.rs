//! The SCIM operations on users and groups, over the same use cases as the admin API: one
//! validation, one authorization, one set of stores. Everything here answers in SCIM terms
//! (resources as JSON, [`ScimError`]); the HTTP function only routes and encodes.
//!
//! Reads are bounded: `userName`, e-mail and id filters are one or two reads, name prefixes
//! use the search index, and anything else reads the organisation's users only while it has
//! at most [`SCAN_LIMIT`] of them; beyond that the answer is `tooMany`, never a long scan.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::error::ScimError;
use super::eval::{get_ci, matches};
use super::filter::{CompareOp, Filter, FilterValue, parse_filter};
use super::group::{ScimGroup, group_resource, group_version, read_group};
use super::patch::{Op, Operation, apply, parse_patch};
use super::plan::{Unservable, UserLookup, plan_user_filter};
use super::schema::{ENTERPRISE_USER, MAX_RESULTS, list_response};
use super::user::{ScimUser, read_user, user_resource, user_version};
use crate::activation::PublishActivation;
use crate::caller::{Caller, CallerRole};
use crate::department::Department;
use crate::directory::group::Group;
use crate::enums::UserStatus;
use crate::error::AppError;
use crate::ids::{DepartmentId, GroupId, UserId};
use crate::store::{DirectoryStore, StoreError, UserQuery};
use crate::use_cases::{groups, organisation, users};
use crate::user::User;

mod groups_ops;
mod users_ops;

pub use groups_ops::{
    create_group, delete_group, get_group, list_groups, patch_group, replace_group,
};
pub use users_ops::{create_user, delete_user, get_user, list_users, patch_user, replace_user};

/// Most users a request reads to answer a filter the indexes cannot serve.
pub const SCAN_LIMIT: usize = 2_000;
/// Most members listed in one group resource.
pub const MEMBERS_SHOWN: usize = 10_000;
/// Why a deactivated user is disabled, as the admin portal shows it.
pub const DEACTIVATED_REASON: &str = "deactivated by the identity provider (SCIM)";

/// What a list or search asks for (RFC 7644 §3.4.2).
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Vec<String>,
    pub excluded_attributes: Vec<String>,
    /// The most users this request may read for a filter the indexes cannot serve; `None`:
    /// [`SCAN_LIMIT`]. Not a client parameter (tests lower it).
    pub scan_limit: Option<usize>,
}

/// A resource and its ETag.
pub struct Versioned {
    pub resource: Map<String, Value>,
    pub version: String,
}

fn require_admin(caller: &Caller) -> Result<(), ScimError> {
    if caller.has(CallerRole::Admin) {
        Ok(())
    } else {
        Err(ScimError::new(
            403,
            None,
            "SCIM provisioning needs an admin or a tenant SCIM token",
        ))
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, ScimError> {
    body.as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the body must be a JSON object"))
}

fn user_id(id: &str) -> Result<UserId, ScimError> {
    UserId::parse(id).map_err(|_| ScimError::not_found(format!("no user with id '{}'", short(id))))
}

fn group_id(id: &str) -> Result<GroupId, ScimError> {
    GroupId::parse(id)
        .map_err(|_| ScimError::not_found(format!("no group with id '{}'", short(id))))
}

/// A use case's "not found" in SCIM words, naming the resource and the id asked for.
fn not_found_as<'a>(
    what: &'static str,
    id: &'a impl std::fmt::Display,
) -> impl FnOnce(AppError) -> ScimError + 'a {
    move |e| match e {
        AppError::NotFound(_) => ScimError::not_found(format!("no {what} with id '{id}'")),
        other => other.into(),
    }
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

/// `If-Match`: `*` or one of the listed ETags (weak or strong) must name the current version.
pub fn check_if_match(if_match: Option<&str>, current: &str) -> Result<(), ScimError> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let bare = |t: &str| {
        t.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    };
    let wanted = bare(current);
    let ok = header
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == wanted);
    if ok {
        Ok(())
    } else {
        Err(ScimError::precondition_failed())
    }
}

// ---- attribute selection (RFC 7644 §3.4.2.5) ----

fn split_attribute(path: &str) -> (Option<String>, String, Option<String>) {
    let path = path.trim();
    let lower = path.to_ascii_lowercase();
    let (schema, rest) = match lower.rfind(':') {
        Some(i) if lower.starts_with("urn:") => (Some(path[..i].to_owned()), &path[i + 1..]),
        _ => (None, path),
    };
    let schema = schema.filter(|s| {
        !s.eq_ignore_ascii_case(super::schema::USER_SCHEMA)
            && !s.eq_ignore_ascii_case(super::schema::GROUP_SCHEMA)
    });
    match rest.split_once('.') {
        Some((a, sub)) => (schema, a.to_owned(), Some(sub.to_owned())),
        None => (schema, rest.to_owned(), None),
    }
}

fn key_ci(object: &Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
}

/// Applies `attributes` / `excludedAttributes`; `id` and `schemas` are always returned.
pub fn select(resource: Map<String, Value>, params: &ListParams) -> Map<String, Value> {
    if !params.attributes.is_empty() {
        let mut kept = Map::new();
        for always in ["schemas", "id"] {
            if let Some(v) = resource.get(always) {
                kept.insert(always.into(), v.clone());
            }
        }
        for path in &params.attributes {
            // `attributes=urn:…:enterprise:2.0:User` names a whole extension.
            if let Some(k) = key_ci(&resource, path.trim()) {
                kept.insert(k.clone(), resource[&k].clone());
                continue;
            }
            let (schema, attribute, sub) = split_attribute(path);
            let source = match &schema {
                None => Some(&resource),
                Some(s) => key_ci(&resource, s).and_then(|k| resource.get(&k)?.as_object()),
            };
            let Some(source) = source else { continue };
            let Some(key) = key_ci(source, &attribute) else {
                continue;
            };
            let value = match (&sub, &source[&key]) {
                (None, v) => v.clone(),
                (Some(sub), Value::Object(o)) => match key_ci(o, sub) {
                    Some(sk) => Value::Object(Map::from_iter([(sk.clone(), o[&sk].clone())])),
                    None => continue,
                },
                (Some(sub), Value::Array(items)) => Value::Array(
                    items
                        .iter()
                        .filter_map(|i| {
                            let o = i.as_object()?;
                            let sk = key_ci(o, sub)?;
                            Some(Value::Object(Map::from_iter([(
                                sk.clone(),
                                o[&sk].clone(),
                            )])))
                        })
                        .collect(),
                ),
                _ => continue,
            };
            let target = match &schema {
                None => &mut kept,
                Some(s) => {
                    let k = key_ci(&resource, s).unwrap_or_else(|| s.clone());
                    kept.entry(k)
                        .or_insert_with(|| Value::Object(Map::new()))
                        .as_object_mut()
                        .expect("inserted as an object")
                }
            };
            match (target.get_mut(&key), value) {
                (Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
                (_, value) => {
                    target.insert(key, value);
                }
            }
        }
        return kept;
    }
    let mut resource = resource;
    for path in &params.excluded_attributes {
        if let Some(k) = key_ci(&resource, path.trim()).filter(|k| k.starts_with("urn:")) {
            resource.remove(&k);
            continue;
        }
        let (schema, attribute, sub) = split_attribute(path);
        if schema.is_none()
            && (attribute.eq_ignore_ascii_case("id") || attribute.eq_ignore_ascii_case("schemas"))
        {
            continue;
        }
        let holder = match &schema {
            None => Some(&mut resource),
            Some(s) => match key_ci(&resource, s) {
                Some(k) => resource.get_mut(&k).and_then(Value::as_object_mut),
                None => None,
            },
        };
        let Some(holder) = holder else { continue };
        let Some(key) = key_ci(holder, &attribute) else {
            continue;
        };
        match (sub, holder.get_mut(&key)) {
            (None, _) => {
                holder.remove(&key);
            }
            (Some(sub), Some(Value::Object(o))) => {
                if let Some(sk) = key_ci(o, &sub) {
                    o.remove(&sk);
                }
            }
            (Some(sub), Some(Value::Array(items))) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    if let Some(sk) = key_ci(item, &sub) {
                        item.remove(&sk);
                    }
                }
            }
            _ => {}
        }
    }
    resource
}

fn wants(params: &ListParams, attribute: &str) -> bool {
    let named = |list: &[String]| {
        list.iter()
            .any(|a| split_attribute(a).1.eq_ignore_ascii_case(attribute))
    };
    if !params.attributes.is_empty() {
        named(&params.attributes)
    } else {
        !named(&params.excluded_attributes)
    }
}

/// One page of `matched` as a `ListResponse` (`startIndex` is 1-based; `count=0` asks only
/// for the total).
fn page(matched: Vec<Map<String, Value>>, params: &ListParams) -> Value {
    let total = matched.len();
    let start = params.start_index.unwrap_or(1).max(1) as usize;
    let count = params
        .count
        .unwrap_or(MAX_RESULTS as i64)
        .clamp(0, MAX_RESULTS as i64) as usize;
    let resources: Vec<Value> = matched
        .into_iter()
        .skip(start - 1)
        .take(count)
        .map(|r| Value::Object(select(r, params)))
        .collect();
    list_response(total, start, resources)
}

fn filter_of(params: &ListParams) -> Result<Option<Filter>, ScimError> {
    params
        .filter
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .map(parse_filter)
        .transpose()
        .map_err(|e| ScimError::invalid_filter(e.to_string()))
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}
