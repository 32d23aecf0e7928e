//! Use cases on groups and their members [002]. Groups are organisation-wide (admins manage
//! them); membership is a change of the user (admins, and managers for their departments).

use std::collections::BTreeSet;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::caller::{Caller, Permission};
use crate::directory::group::{GROUPS_PER_USER, Group};
use crate::error::AppError;
use crate::ids::{GroupId, UserId};
use crate::store::{GetUser, GroupStore, Page, StoreError, UpdateUser, UserQuery};
use crate::use_cases::organisation::{check_entry_name, name_taken};
use crate::use_cases::users::change_retrying;
use crate::user::{Stamp, User};
use crate::validation::{TEXT_MAX, ValidationErrors, values::check_text};

/// `POST /v1/groups` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Set by SCIM only (an identity provider's id for the group).
    #[serde(skip)]
    pub external_id: Option<String>,
}

fn check_description(raw: Option<&str>) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => check_text(d, TEXT_MAX)
            .map(Some)
            .map_err(|m| ValidationErrors::single("description", m).into()),
    }
}

fn not_found() -> AppError {
    AppError::NotFound("group")
}

fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::NameTaken => name_taken("group"),
        StoreError::NotFound => not_found(),
        other => other.into(),
    }
}

pub async fn list_groups<S: GroupStore>(
    store: &S,
    caller: &Caller,
) -> Result<Vec<Group>, AppError> {
    // Every role may read the tenant's groups: they fill the portal's pickers.
    let mut groups = store.list_groups(&caller.tenant).await?;
    groups.sort_by_key(|g| g.name.to_lowercase());
    Ok(groups)
}

pub async fn get_group<S: GroupStore>(
    store: &S,
    caller: &Caller,
    id: &GroupId,
) -> Result<Group, AppError> {
    store
        .get_group(&caller.tenant, id)
        .await?
        .ok_or_else(not_found)
}

pub async fn create_group<S: GroupStore>(
    store: &S,
    caller: &Caller,
    new: NewGroup,
) -> Result<Group, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let named = crate::use_cases::organisation::NewNamed {
        id: new.id.clone(),
        name: new.name.clone(),
    };
    let id = named.id_or(GroupId::parse, GroupId::generate)?;
    let stamp = Stamp::now(&caller.actor);
    let group = Group {
        id,
        tenant_id: caller.tenant.clone(),
        name: check_entry_name(&new.name)?,
        description: check_description(new.description.as_deref())?,
        external_id: new.external_id.clone(),
        created: stamp.clone(),
        updated: stamp,
    };
    store.create_group(&group).await.map_err(|e| match e {
        StoreError::AlreadyExists => AppError::Conflict {
            message: format!("group '{}' already exists", group.id),
            fields: vec![crate::validation::FieldError::new(
                "id",
                "is already used by another group",
            )],
        },
        other => store_error(other),
    })?;
    Ok(group)
}

/// `PATCH /v1/groups/{id}`: `name` and `description` (null clears the description).
pub async fn update_group<S: GroupStore>(
    store: &S,
    caller: &Caller,
    id: &GroupId,
    patch: Map<String, Value>,
) -> Result<Group, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let before = get_group(store, caller, id).await?;
    let mut after = before.clone();
    for (field, value) in patch {
        match (field.as_str(), value) {
            ("name", Value::String(name)) => after.name = check_entry_name(&name)?,
            ("description", Value::Null) => after.description = None,
            ("description", Value::String(d)) => after.description = check_description(Some(&d))?,
            ("name" | "description", _) => {
                return Err(AppError::bad_field(field, "must be a string"));
            }
            _ => return Err(AppError::bad_field(field, "is not a field of a group")),
        }
    }
    after.updated = Stamp::now(&caller.actor);
    store
        .update_group(&before, &after)
        .await
        .map_err(store_error)?;
    Ok(after)
}

/// Stores `before` with a new name and external id and a fresh `updated` stamp, even when
/// nothing else changed: SCIM's ETag of a group follows its members too.
pub async fn restamp_group<S: GroupStore>(
    store: &S,
    caller: &Caller,
    before: &Group,
    name: &str,
    external_id: Option<String>,
) -> Result<Group, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let after = Group {
        name: check_entry_name(name)?,
        external_id,
        updated: Stamp::now(&caller.actor),
        ..before.clone()
    };
    store
        .update_group(before, &after)
        .await
        .map_err(store_error)?;
    Ok(after)
}

/// Deletes the group, then takes every member out of it, so no membership is left behind.
pub async fn delete_group<S>(store: &S, caller: &Caller, id: &GroupId) -> Result<(), AppError>
where
    S: GroupStore + GetUser + UpdateUser,
{
    caller.require(Permission::ManageOrganisation)?;
    let group = get_group(store, caller, id).await?;
    store.delete_group(&group).await.map_err(store_error)?;
    loop {
        // Each pass removes the members it lists, so the first page is always what is left.
        let page = store
            .list_members(&caller.tenant, id, None, UserQuery::MAX_LIMIT)
            .await?;
        if page.items.is_empty() {
            return Ok(());
        }
        for member in page.items {
            change_retrying(store, caller, &member.id, |u| {
                u.profile.groups.remove(id);
                Ok(())
            })
            .await?;
        }
    }
}

/// `PUT /v1/groups/{id}/members/{user}`: idempotent.
pub async fn add_member<S>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    user: &UserId,
) -> Result<(), AppError>
where
    S: GroupStore + GetUser + UpdateUser,
{
    set_membership(store, caller, group, user, true).await
}

/// `DELETE /v1/groups/{id}/members/{user}`: idempotent.
pub async fn remove_member<S>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    user: &UserId,
) -> Result<(), AppError>
where
    S: GroupStore + GetUser + UpdateUser,
{
    set_membership(store, caller, group, user, false).await
}

/// Makes `user` a member of `group` or not; writes nothing when it already is what is asked.
async fn set_membership<S>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    user: &UserId,
    member: bool,
) -> Result<(), AppError>
where
    S: GroupStore + GetUser + UpdateUser,
{
    caller.require(Permission::ChangeUsers)?;
    get_group(store, caller, group).await?;
    apply_membership(store, caller, group, user, member).await
}

/// Membership writes one request keeps in flight (each is its user's own transaction).
const MEMBER_WRITES_IN_FLIGHT: usize = 8;

/// Adds and removes many members in one request (SCIM's PATCH of `members`): the group is
/// read once and the users' writes run a few at a time. A user id that names nobody fails
/// the request with `NotFound("member")`; the members changed before it stay changed (each
/// change is idempotent, so the client's retry completes the rest).
pub async fn change_members<S>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    add: &BTreeSet<UserId>,
    remove: &BTreeSet<UserId>,
) -> Result<(), AppError>
where
    S: GroupStore + GetUser + UpdateUser + Sync,
{
    caller.require(Permission::ChangeUsers)?;
    get_group(store, caller, group).await?;
    let mut pending = add
        .iter()
        .map(|u| (*u, true))
        .chain(remove.iter().map(|u| (*u, false)))
        .collect::<Vec<_>>()
        .into_iter();
    // A plain loop over `FuturesUnordered` rather than stream combinators: closures there
    // make the handler's future lose `Send` (rust-lang/rust#64552).
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < MEMBER_WRITES_IN_FLIGHT {
            let Some((user, member)) = pending.next() else {
                break;
            };
            running.push(member_change(store, caller, group, user, member));
        }
        match running.next().await {
            Some(done) => done?,
            None => return Ok(()),
        }
    }
}

async fn member_change<S>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    user: UserId,
    member: bool,
) -> Result<(), AppError>
where
    S: GroupStore + GetUser + UpdateUser,
{
    apply_membership(store, caller, group, &user, member)
        .await
        .map_err(|e| match e {
            AppError::NotFound("user") => AppError::NotFound("member"),
            other => other,
        })
}

async fn apply_membership<S>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    user: &UserId,
    member: bool,
) -> Result<(), AppError>
where
    S: GroupStore + GetUser + UpdateUser,
{
    // One read and one write per member; a concurrent change of the user is read again.
    let mut current = crate::use_cases::users::get_writable(store, caller, user).await?;
    let mut attempt = 0;
    loop {
        if current.profile.groups.contains(group) == member {
            return Ok(());
        }
        if member && current.profile.groups.len() >= GROUPS_PER_USER {
            return Err(ValidationErrors::single(
                "group_ids",
                format!("a user may be in at most {GROUPS_PER_USER} groups"),
            )
            .into());
        }
        let mut next = current.clone().touched(&caller.actor);
        if member {
            next.profile.groups.insert(group.clone());
        } else {
            next.profile.groups.remove(group);
        }
        match store.update_user(&current, &next).await {
            Ok(()) => return Ok(()),
            Err(StoreError::VersionMismatch) if attempt < 4 => {
                attempt += 1;
                current = crate::use_cases::users::get_writable(store, caller, user).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// A page of the group's members the caller may read (managers: their departments only).
pub async fn list_members<S: GroupStore>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<User>, AppError> {
    get_group(store, caller, group).await?;
    let limit = match limit {
        0 => UserQuery::DEFAULT_LIMIT,
        n => n.min(UserQuery::MAX_LIMIT),
    };
    let mut page = store
        .list_members(&caller.tenant, group, cursor, limit)
        .await?;
    page.items
        .retain(|u| caller.can_read(u.profile.department_id.as_ref()));
    Ok(page)
}
