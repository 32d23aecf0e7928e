//! SCIM groups: the group record and its members, changed a few users at a time.

use super::*;

async fn load_group<S: DirectoryStore>(
    store: &S,
    caller: &Caller,
    id: &str,
) -> Result<Group, ScimError> {
    let id = group_id(id)?;
    groups::get_group(store, caller, &id)
        .await
        .map_err(not_found_as("group", &id))
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
