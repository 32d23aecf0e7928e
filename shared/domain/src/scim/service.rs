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
use super::plan::{UserLookup, plan_user_filter};
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

// ---- users ----

/// Every user of the tenant while there are at most [`SCAN_LIMIT`]; `tooMany` otherwise.
async fn bounded_scan<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    query: UserQuery,
    limit: usize,
    why: &str,
) -> Result<Vec<User>, ScimError> {
    let mut query = UserQuery {
        limit: UserQuery::MAX_LIMIT,
        ..query
    };
    let mut users = vec![];
    loop {
        let page = users::list_users(store, caller, query.clone()).await?;
        users.extend(page.items);
        if users.len() > limit {
            return Err(ScimError::too_many(format!(
                "{why}: the organisation has more than {limit} users; filter by userName, emails or id (eq), or a name (sw)"
            )));
        }
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => return Ok(users),
        }
    }
}

/// Users that may match `filter` (a superset), read the cheapest way the filter allows.
async fn candidates<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    filter: &Filter,
    limit: usize,
) -> Result<Vec<User>, ScimError> {
    let tenant = &caller.tenant;
    match plan_user_filter(filter) {
        Ok(UserLookup::ByLogin(login)) => Ok(store
            .find_by_login(tenant, &login)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .collect()),
        Ok(UserLookup::ByEmail(email)) => Ok(store
            .find_by_email(tenant, &email)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .collect()),
        Ok(UserLookup::ById(id)) => match UserId::parse(&id) {
            Ok(id) => Ok(store
                .get_user(tenant, &id)
                .await
                .map_err(AppError::from)?
                .into_iter()
                .collect()),
            Err(_) => Ok(vec![]),
        },
        Ok(UserLookup::Search(text)) => {
            let query = UserQuery {
                text: Some(text),
                ..UserQuery::default()
            };
            bounded_scan(
                store,
                caller,
                query,
                limit,
                "that name prefix matches too many users",
            )
            .await
        }
        Err(super::plan::Unservable::TooMany(why)) => {
            if let Filter::Or(a, b) = filter {
                let (a, b) = (
                    Box::pin(candidates(store, caller, a, limit)).await,
                    Box::pin(candidates(store, caller, b, limit)).await,
                );
                if let (Ok(mut a), Ok(b)) = (a, b) {
                    a.extend(b);
                    return Ok(a);
                }
            }
            bounded_scan(store, caller, UserQuery::default(), limit, &why).await
        }
    }
}

async fn department_names<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    users: &[User],
) -> Result<HashMap<DepartmentId, String>, ScimError> {
    if users.iter().all(|u| u.profile.department_id.is_none()) {
        return Ok(HashMap::new());
    }
    if let [user] = users {
        let id = user.profile.department_id.as_ref().expect("checked above");
        let found = store
            .get_department(&caller.tenant, id)
            .await
            .map_err(AppError::from)?;
        return Ok(found.map(|d| (d.id, d.name)).into_iter().collect());
    }
    let all = store
        .list_departments(&caller.tenant)
        .await
        .map_err(AppError::from)?;
    Ok(all.into_iter().map(|d| (d.id, d.name)).collect())
}

fn render(
    user: &User,
    departments: &HashMap<DepartmentId, String>,
    base: &str,
) -> Map<String, Value> {
    let department = user
        .profile
        .department_id
        .as_ref()
        .and_then(|d| departments.get(d))
        .map(String::as_str);
    user_resource(user, department, base)
}

/// `GET /Users` and `POST /Users/.search`.
pub async fn list_users<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    params: &ListParams,
    base: &str,
) -> Result<Value, ScimError> {
    require_admin(caller)?;
    let filter = filter_of(params)?;
    let limit = params.scan_limit.unwrap_or(SCAN_LIMIT);
    let mut found = match &filter {
        None => {
            bounded_scan(
                store,
                caller,
                UserQuery::default(),
                limit,
                "listing every user",
            )
            .await?
        }
        Some(f) => candidates(store, caller, f, limit).await?,
    };
    found.sort_by_key(|u| u.id);
    found.dedup_by_key(|u| u.id);
    let departments = department_names(store, caller, &found).await?;
    let matched: Vec<_> = found
        .iter()
        .map(|u| render(u, &departments, base))
        .filter(|r| filter.as_ref().is_none_or(|f| matches(f, r)))
        .collect();
    Ok(page(matched, params))
}

async fn load_user<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
) -> Result<User, ScimError> {
    let id = user_id(id)?;
    users::get_writable(store, caller, &id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => ScimError::not_found(format!("no user with id '{id}'")),
            other => other.into(),
        })
}

async fn versioned_user<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    user: &User,
    base: &str,
) -> Result<Versioned, ScimError> {
    let departments = department_names(store, caller, std::slice::from_ref(user)).await?;
    Ok(Versioned {
        resource: render(user, &departments, base),
        version: user_version(user),
    })
}

/// `GET /Users/{id}`.
pub async fn get_user<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    base: &str,
) -> Result<Versioned, ScimError> {
    require_admin(caller)?;
    let user = load_user(store, caller, id).await?;
    versioned_user(store, caller, &user, base).await
}

/// A department's id and name.
type Named = (DepartmentId, String);

/// The department a SCIM `department` names (any case), created when the tenant lets SCIM
/// create departments. `known` (the user's current department) answers without a read.
async fn department_named<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    name: Option<&str>,
    known: Option<Named>,
) -> Result<Option<Named>, ScimError> {
    let Some(name) = name else { return Ok(None) };
    if let Some(known) = known.filter(|(_, n)| n.trim().eq_ignore_ascii_case(name.trim())) {
        return Ok(Some(known));
    }
    let found = Box::pin(find_or_create_department(store, caller, name)).await?;
    Ok(found.map(|d| (d.id, d.name)))
}

async fn find_or_create_department<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    name: &str,
) -> Result<Option<Department>, ScimError> {
    let find = |all: Vec<Department>| {
        all.into_iter()
            .find(|d| d.name.trim().eq_ignore_ascii_case(name.trim()))
    };
    if let Some(found) = find(
        store
            .list_departments(&caller.tenant)
            .await
            .map_err(AppError::from)?,
    ) {
        return Ok(Some(found));
    }
    let settings = store
        .get_settings(&caller.tenant)
        .await
        .map_err(AppError::from)?;
    if !settings.scim_creates_departments {
        return Err(ScimError::invalid_value(format!(
            "{ENTERPRISE_USER}:department: the organisation has no department named '{}' and does not let SCIM create departments",
            short(name)
        )));
    }
    let new = organisation::NewDepartment {
        id: None,
        name: name.to_owned(),
    };
    match organisation::create_department(store, caller, new).await {
        Ok(d) => Ok(Some(d)),
        // Created meanwhile by a concurrent request for another user of the department.
        Err(AppError::Conflict { .. }) => Ok(find(
            store
                .list_departments(&caller.tenant)
                .await
                .map_err(AppError::from)?,
        )),
        Err(AppError::Validation(e)) => Err(ScimError::invalid_value(format!(
            "{ENTERPRISE_USER}:department: {}",
            e.errors()
                .first()
                .map(|f| f.message.as_str())
                .unwrap_or("is not a valid name")
        ))),
        Err(other) => Err(other.into()),
    }
}

/// Sets what SCIM says beyond the profile: the status from `active`, the provider's ids.
fn finish_user(user: &mut User, scim: &ScimUser, caller: &Caller) {
    user.provisioned = (!scim.provisioned.is_empty()).then(|| scim.provisioned.clone());
    match (scim.active, user.status) {
        (Some(false), UserStatus::Active) => user.set_status(
            UserStatus::Disabled,
            Some(DEACTIVATED_REASON.to_owned()),
            &caller.actor,
        ),
        (Some(true), UserStatus::Disabled) => {
            user.set_status(UserStatus::Active, None, &caller.actor)
        }
        _ => {}
    }
}

fn required_user_name(scim: &ScimUser) -> Result<(), ScimError> {
    if scim.user_name.is_none() {
        return Err(ScimError::invalid_value("userName: is required"));
    }
    Ok(())
}

/// `POST /Users`.
pub async fn create_user<S, P>(
    store: &S,
    publisher: &P,
    caller: &Caller,
    body: &Value,
    base: &str,
) -> Result<Versioned, ScimError>
where
    S: DirectoryStore,
    P: PublishActivation,
{
    require_admin(caller)?;
    let scim = read_user(object(body)?)?;
    required_user_name(&scim)?;
    let department = department_named(store, caller, scim.department.as_deref(), None).await?;
    let fields = scim.fields(department.as_ref().map(|d| &d.0));
    let draft = users::draft_from_json(fields)?;
    let created = users::create_user_with(store, publisher, caller, draft, |u| {
        finish_user(u, &scim, caller)
    })
    .await?;
    let departments = department.into_iter().collect();
    Ok(Versioned {
        resource: render(&created.user, &departments, base),
        version: user_version(&created.user),
    })
}

async fn store_user<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    current: User,
    scim: ScimUser,
    known: Option<Named>,
    base: &str,
) -> Result<Versioned, ScimError> {
    required_user_name(&scim)?;
    let department = department_named(store, caller, scim.department.as_deref(), known).await?;
    let fields = scim.fields(department.as_ref().map(|d| &d.0));
    let updated = users::update_loaded(store, caller, current, fields, |u| {
        finish_user(u, &scim, caller)
    })
    .await?;
    let departments = department.into_iter().collect();
    Ok(Versioned {
        resource: render(&updated, &departments, base),
        version: user_version(&updated),
    })
}

/// `PUT /Users/{id}`: the SCIM attributes are replaced (one left out is cleared); the rest of
/// the record (roles, devices, settings…) is kept.
pub async fn replace_user<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
    body: &Value,
    base: &str,
) -> Result<Versioned, ScimError> {
    require_admin(caller)?;
    let scim = read_user(object(body)?)?;
    let current = load_user(store, caller, id).await?;
    check_if_match(if_match, &user_version(&current))?;
    store_user(store, caller, current, scim, None, base).await
}

/// `PATCH /Users/{id}`: the operations applied to the user as SCIM shows it, then stored as
/// a replace of the result. Without `If-Match`, a concurrent change is read again and the
/// operations re-applied (a few times); with it, a stale version is 412.
pub async fn patch_user<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
    body: &Value,
    base: &str,
) -> Result<Versioned, ScimError> {
    require_admin(caller)?;
    let operations = parse_patch(body)?;
    let mut attempt = 0;
    loop {
        let current = load_user(store, caller, id).await?;
        check_if_match(if_match, &user_version(&current))?;
        let shown = versioned_user(store, caller, &current, base).await?;
        let mut resource = shown.resource.clone();
        apply(&mut resource, &operations)?;
        let before = read_user(&shown.resource)?;
        let after = read_user(&resource)?;
        if before == after {
            return Ok(shown);
        }
        let known = current
            .profile
            .department_id
            .clone()
            .zip(before.department.clone());
        match store_user(store, caller, current, after, known, base).await {
            Err(e) if e.status == 412 && if_match.is_none() && attempt < 3 => attempt += 1,
            other => return other,
        }
    }
}

/// `DELETE /Users/{id}`; returns the deleted user (its photo objects go too).
pub async fn delete_user<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
) -> Result<User, ScimError> {
    require_admin(caller)?;
    let current = load_user(store, caller, id).await?;
    check_if_match(if_match, &user_version(&current))?;
    Ok(users::delete_user(store, caller, &current.id).await?)
}

// ---- groups ----

async fn load_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
) -> Result<Group, ScimError> {
    let id = group_id(id)?;
    groups::get_group(store, caller, &id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => ScimError::not_found(format!("no group with id '{id}'")),
            other => other.into(),
        })
}

async fn member_ids<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
) -> Result<Vec<UserId>, ScimError> {
    let mut ids = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_members(
                &caller.tenant,
                group,
                cursor.as_deref(),
                UserQuery::MAX_LIMIT,
            )
            .await
            .map_err(AppError::from)?;
        ids.extend(page.items.into_iter().map(|u| u.id));
        match page.next_cursor {
            Some(c) if ids.len() < MEMBERS_SHOWN => cursor = Some(c),
            _ => return Ok(ids),
        }
    }
}

async fn versioned_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    group: &Group,
    with_members: bool,
    base: &str,
) -> Result<Versioned, ScimError> {
    let members = if with_members {
        Some(member_ids(store, caller, &group.id).await?)
    } else {
        None
    };
    Ok(Versioned {
        resource: group_resource(group, members.as_deref(), base),
        version: group_version(group),
    })
}

/// `GET /Groups` and `POST /Groups/.search` (a tenant keeps tens to hundreds of groups).
pub async fn list_groups<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    params: &ListParams,
    base: &str,
) -> Result<Value, ScimError> {
    require_admin(caller)?;
    let filter = filter_of(params)?;
    let filter_reads_members = params
        .filter
        .as_deref()
        .is_some_and(|f| f.to_ascii_lowercase().contains("members"));
    let with_members = wants(params, "members") || filter_reads_members;
    let mut all = groups::list_groups(store, caller).await?;
    all.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let mut matched = vec![];
    for group in &all {
        let mut resource = versioned_group(store, caller, group, with_members, base)
            .await?
            .resource;
        if filter.as_ref().is_none_or(|f| matches(f, &resource)) {
            if filter_reads_members && !wants(params, "members") {
                resource.remove("members");
            }
            matched.push(resource);
        }
    }
    Ok(page(matched, params))
}

/// `GET /Groups/{id}` (members unless excluded).
pub async fn get_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    params: &ListParams,
    base: &str,
) -> Result<Versioned, ScimError> {
    require_admin(caller)?;
    let group = load_group(store, caller, id).await?;
    versioned_group(store, caller, &group, wants(params, "members"), base).await
}

fn group_error(e: AppError) -> ScimError {
    match e {
        AppError::Conflict { .. } => ScimError::uniqueness(
            "displayName: another group already has this name (compared without case)",
        ),
        AppError::NotFound("member") => {
            ScimError::invalid_value("members: a member's value names no user of this organisation")
        }
        other => other.into(),
    }
}

/// `POST /Groups`.
pub async fn create_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    body: &Value,
    base: &str,
) -> Result<Versioned, ScimError> {
    require_admin(caller)?;
    let scim = read_group(object(body)?)?;
    let name = scim
        .display_name
        .clone()
        .ok_or_else(|| ScimError::invalid_value("displayName: is required"))?;
    let new = groups::NewGroup {
        id: None,
        name,
        description: None,
        external_id: scim.external_id.clone(),
    };
    let group = groups::create_group(store, caller, new)
        .await
        .map_err(group_error)?;
    let members = scim.members.unwrap_or_default();
    if !members.is_empty()
        && let Err(e) =
            groups::change_members(store, caller, &group.id, &members, &BTreeSet::new()).await
    {
        // A group whose members could not be set is not left behind half made.
        let _ = groups::delete_group(store, caller, &group.id).await;
        return Err(group_error(e));
    }
    let members: Vec<UserId> = members.into_iter().collect();
    Ok(Versioned {
        resource: group_resource(&group, Some(&members), base),
        version: group_version(&group),
    })
}

/// Membership changes one request asks for, applied in order.
#[derive(Default)]
struct MemberChanges {
    /// `replace members` or `remove members` (no value): the whole set, before `add`/`remove`.
    replace: Option<BTreeSet<UserId>>,
    add: BTreeSet<UserId>,
    remove: BTreeSet<UserId>,
}

impl MemberChanges {
    fn add(&mut self, ids: BTreeSet<UserId>) {
        for id in ids {
            self.remove.remove(&id);
            self.add.insert(id);
        }
    }

    fn remove(&mut self, ids: BTreeSet<UserId>) {
        for id in ids {
            self.add.remove(&id);
            self.remove.insert(id);
        }
    }

    fn replace(&mut self, ids: BTreeSet<UserId>) {
        self.add.clear();
        self.remove.clear();
        self.replace = Some(ids);
    }

    fn is_empty(&self) -> bool {
        self.replace.is_none() && self.add.is_empty() && self.remove.is_empty()
    }

    /// Who to add and remove, given the current members when a replace needs them.
    fn resolve(self, current: Option<&BTreeSet<UserId>>) -> (BTreeSet<UserId>, BTreeSet<UserId>) {
        match (self.replace, current) {
            (Some(wanted), Some(current)) => {
                let wanted: BTreeSet<UserId> = wanted
                    .union(&self.add)
                    .copied()
                    .filter(|u| !self.remove.contains(u))
                    .collect();
                (
                    wanted.difference(current).copied().collect(),
                    current.difference(&wanted).copied().collect(),
                )
            }
            _ => (self.add, self.remove),
        }
    }
}

fn members_of(value: &Value) -> Result<BTreeSet<UserId>, ScimError> {
    let list = match value {
        Value::Array(_) => value.clone(),
        Value::Null => Value::Array(vec![]),
        other => Value::Array(vec![other.clone()]),
    };
    let body = Map::from_iter([("members".to_owned(), list)]);
    Ok(read_group(&body)?.members.unwrap_or_default())
}

/// `members[value eq "id"]` (or several joined by `or`): the ids it names.
fn ids_named(filter: &Filter) -> Option<BTreeSet<UserId>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: FilterValue::String(v),
        } if path.attribute.eq_ignore_ascii_case("value") && path.sub_attribute.is_none() => {
            UserId::parse(v).ok().map(|id| BTreeSet::from([id]))
        }
        Filter::Or(a, b) => {
            let mut ids = ids_named(a)?;
            ids.extend(ids_named(b)?);
            Some(ids)
        }
        _ => None,
    }
}

/// `PATCH /Groups/{id}`: member operations become adds and removes (no listing of the
/// members unless the request replaces them all); other attributes are patched as on users.
pub async fn patch_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
    body: &Value,
    base: &str,
) -> Result<Versioned, ScimError> {
    require_admin(caller)?;
    let operations = parse_patch(body)?;
    let group = load_group(store, caller, id).await?;
    check_if_match(if_match, &group_version(&group))?;
    let mut changes = MemberChanges::default();
    let mut others: Vec<Operation> = vec![];
    for operation in operations {
        let on_members = operation
            .path
            .as_ref()
            .is_some_and(|p| p.attribute.attribute.eq_ignore_ascii_case("members"));
        if !on_members {
            if let (None, Some(Value::Object(values))) = (&operation.path, &operation.value)
                && let Some(members) = get_ci(values, "members")
            {
                let ids = members_of(members)?;
                match operation.op {
                    Op::Add => changes.add(ids),
                    Op::Replace => changes.replace(ids),
                    Op::Remove => changes.remove(ids),
                }
                let mut rest = values.clone();
                rest.retain(|k, _| !k.eq_ignore_ascii_case("members"));
                if !rest.is_empty() {
                    others.push(Operation {
                        value: Some(Value::Object(rest)),
                        ..operation
                    });
                }
                continue;
            }
            others.push(operation);
            continue;
        }
        let path = operation.path.as_ref().expect("on_members has a path");
        match (operation.op, &path.filter, &operation.value) {
            (Op::Add, None, Some(v)) => changes.add(members_of(v)?),
            (Op::Replace, None, Some(v)) => changes.replace(members_of(v)?),
            (Op::Remove, None, Some(v)) => changes.remove(members_of(v)?),
            (Op::Remove, None, None) => changes.replace(BTreeSet::new()),
            (Op::Remove, Some(filter), _) => {
                let ids = match ids_named(filter) {
                    Some(ids) => ids,
                    None => {
                        let current = member_ids(store, caller, &group.id).await?;
                        current
                            .into_iter()
                            .filter(|u| {
                                let member =
                                    serde_json::json!({"value": u.to_string(), "type": "User"});
                                member.as_object().is_some_and(|m| matches(filter, m))
                            })
                            .collect()
                    }
                };
                changes.remove(ids);
            }
            _ => {
                return Err(ScimError::invalid_path(
                    "members: add and replace take the members as the value",
                ));
            }
        }
    }
    let mut after = group.clone();
    if !others.is_empty() {
        let mut resource = group_resource(&group, None, base);
        apply(&mut resource, &others)?;
        let scim = read_group(&resource)?;
        after.name = scim
            .display_name
            .ok_or_else(|| ScimError::invalid_value("displayName: is required"))?;
        after.external_id = scim.external_id;
    }
    write_group(store, caller, group, after, changes, base).await
}

/// Stores a changed name or external id and the member changes, and touches the group so
/// its ETag moves with its members.
async fn write_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    before: Group,
    after: Group,
    changes: MemberChanges,
    base: &str,
) -> Result<Versioned, ScimError> {
    if changes.is_empty() && after == before {
        return versioned_group(store, caller, &before, false, base).await;
    }
    let current = match changes.replace {
        Some(_) => Some(
            member_ids(store, caller, &before.id)
                .await?
                .into_iter()
                .collect(),
        ),
        None => None,
    };
    let (add, remove) = changes.resolve(current.as_ref());
    groups::change_members(store, caller, &before.id, &add, &remove)
        .await
        .map_err(group_error)?;
    let stored = groups::restamp_group(
        store,
        caller,
        &before,
        &after.name,
        after.external_id.clone(),
    )
    .await
    .map_err(group_error)?;
    versioned_group(store, caller, &stored, false, base).await
}

/// `PUT /Groups/{id}`: name, external id and (when sent) the members replaced.
pub async fn replace_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
    body: &Value,
    base: &str,
) -> Result<Versioned, ScimError> {
    require_admin(caller)?;
    let scim: ScimGroup = read_group(object(body)?)?;
    let group = load_group(store, caller, id).await?;
    check_if_match(if_match, &group_version(&group))?;
    let mut after = group.clone();
    after.name = scim
        .display_name
        .ok_or_else(|| ScimError::invalid_value("displayName: is required"))?;
    after.external_id = scim.external_id;
    let mut changes = MemberChanges::default();
    changes.replace(scim.members.unwrap_or_default());
    write_group(store, caller, group, after, changes, base).await
}

/// `DELETE /Groups/{id}`.
pub async fn delete_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
) -> Result<(), ScimError> {
    require_admin(caller)?;
    let group = load_group(store, caller, id).await?;
    check_if_match(if_match, &group_version(&group))?;
    groups::delete_group(store, caller, &group.id).await?;
    Ok(())
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}
