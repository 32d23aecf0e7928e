//! SCIM users: lists and filters within the scan bound, and writes through the users use
//! cases.

use super::*;

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
        Err(Unservable::TooMany(why)) => {
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
        .map_err(not_found_as("user", &id))
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
