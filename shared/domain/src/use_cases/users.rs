//! Use cases on users, shared by every entry point: authorization by the caller's reach,
//! validation, storage and activation publishing. Handlers only decode and encode.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::activation::{
    ActivationReason, ActivationRequest, ActivationState, Channel, PublishActivation,
    RecordActivation,
};
use crate::caller::{Caller, Permission};
use crate::enums::UserStatus;
use crate::error::AppError;
use crate::ids::{DepartmentId, GroupId, UserId};
use crate::password::{self, Password, PasswordHash};
use crate::pick_list::{PickListKind, pick_list};
use crate::store::{
    CreateUser, DeleteUser, GetUser, GroupStore, ListUsers, Page, PickListStore, StoreError,
    TenantSettingsStore, UpdateUser, UserQuery,
};
use crate::user::User;
use crate::validation::{
    Directory, FieldError, Overlay, PickList, UserDraft, ValidationErrors, decode_draft,
    validate_disable_reason, validate_user,
};

/// Fields the system sets; a client sending one gets a 400 naming it.
pub const READ_ONLY_FIELDS: &[&str] = &[
    "id",
    "version",
    "trusted",
    "status",
    "disabled_reason",
    "disabled_by",
    "disabled_at",
    "status_history",
    "password_set",
    "password_reset_required",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "activation",
    "photo",
    "photo_url",
    "photo_pending",
];

/// What an API write validates against. Departments are checked in the write's transaction
/// (a `ConditionCheck`), not with an extra read: validation accepts any well-formed id and the
/// store reports a missing one as a field error. Pick lists are read only when the write sets
/// that field, so a user keeps a value that has since left its list until it is changed.
#[derive(Default)]
struct ApiDirectory {
    locations: Option<PickList>,
    job_descriptions: Option<PickList>,
    /// The tenant's groups, read when the write changes the user's groups.
    groups: Option<BTreeSet<GroupId>>,
}

impl Directory for ApiDirectory {
    fn has_department(&self, _: &DepartmentId) -> bool {
        true
    }

    fn has_group(&self, id: &GroupId) -> bool {
        self.groups.as_ref().is_none_or(|g| g.contains(id))
    }

    fn locations(&self) -> Option<&PickList> {
        self.locations.as_ref()
    }

    fn job_descriptions(&self) -> Option<&PickList> {
        self.job_descriptions.as_ref()
    }
}

/// The pick lists a draft must be checked against: those of the fields it sets to something
/// other than `current`'s value.
async fn api_directory<S: PickListStore + GroupStore>(
    store: &S,
    caller: &Caller,
    draft: &UserDraft,
    current: Option<&User>,
) -> Result<ApiDirectory, AppError> {
    let sets = |new: &Option<String>, old: Option<&Option<String>>| {
        let new = new.as_deref().map(str::trim).filter(|v| !v.is_empty());
        new.is_some() && old.is_none_or(|old| old.as_deref() != new)
    };
    let mut directory = ApiDirectory::default();
    if sets(&draft.location, current.map(|u| &u.profile.location)) {
        let entries = store
            .list_entries(&caller.tenant, PickListKind::Location)
            .await?;
        directory.locations = Some(pick_list(&entries));
    }
    if sets(
        &draft.job_description,
        current.map(|u| &u.profile.job_description),
    ) {
        let entries = store
            .list_entries(&caller.tenant, PickListKind::JobDescription)
            .await?;
        directory.job_descriptions = Some(pick_list(&entries));
    }
    let current_groups: Vec<String> = current
        .map(|u| u.profile.groups.iter().map(|g| g.to_string()).collect())
        .unwrap_or_default();
    if draft
        .groups
        .as_ref()
        .is_some_and(|g| !g.is_empty() && *g != current_groups)
    {
        let groups = store.list_groups(&caller.tenant).await?;
        directory.groups = Some(groups.into_iter().map(|g| g.id).collect());
    }
    Ok(directory)
}

fn draft_fields() -> Vec<String> {
    match serde_json::to_value(UserDraft::default()) {
        Ok(Value::Object(map)) => map.keys().cloned().chain(["password".to_owned()]).collect(),
        _ => vec![],
    }
}

/// Rejects read-only and unknown fields by name, before any type checking.
fn check_field_names(body: &Map<String, Value>, allow_password: bool) -> Result<(), AppError> {
    let known = draft_fields();
    for name in body.keys() {
        if READ_ONLY_FIELDS.contains(&name.as_str()) {
            return Err(AppError::bad_field(
                name.as_str(),
                "is set by the system and cannot be written",
            ));
        }
        if name == "password" && !allow_password {
            return Err(AppError::bad_field(
                "password",
                "is changed with the password operation, not with a profile update",
            ));
        }
        if !known.contains(name) {
            return Err(AppError::bad_field(
                name.as_str(),
                "is not a field of a user",
            ));
        }
    }
    Ok(())
}

fn bad_field(error: FieldError) -> AppError {
    AppError::bad_field(error.field, error.message)
}

/// A create request body as a draft.
pub fn draft_from_json(body: Map<String, Value>) -> Result<UserDraft, AppError> {
    check_field_names(&body, true)?;
    decode_draft(body).map_err(bad_field)
}

/// `patch` laid over `user`'s current values (null clears a field), as a draft to validate.
pub fn draft_with_patch(user: &User, patch: Map<String, Value>) -> Result<UserDraft, AppError> {
    check_field_names(&patch, false)?;
    Overlay::NullClears
        .apply(&user.profile, patch)
        .map_err(bad_field)
}

fn not_found() -> AppError {
    AppError::NotFound("user")
}

fn forbidden_department(department: Option<&DepartmentId>) -> AppError {
    match department {
        Some(d) => AppError::Forbidden(format!("you do not manage department '{d}'")),
        None => AppError::Forbidden("only an admin may manage users without a department".into()),
    }
}

/// Loads a user the caller may read; other tenants' and unreachable users are "not found".
pub async fn get_user<S: GetUser>(
    store: &S,
    caller: &Caller,
    id: &UserId,
) -> Result<User, AppError> {
    let user = store
        .get_user(&caller.tenant, id)
        .await?
        .ok_or_else(not_found)?;
    if caller.can_read(user.profile.department_id.as_ref()) {
        Ok(user)
    } else {
        Err(not_found())
    }
}

pub(crate) async fn get_writable<S: GetUser>(
    store: &S,
    caller: &Caller,
    id: &UserId,
) -> Result<User, AppError> {
    let user = get_user(store, caller, id).await?;
    if caller.can_write(user.profile.department_id.as_ref()) {
        Ok(user)
    } else {
        Err(AppError::Forbidden("your role may not change users".into()))
    }
}

async fn publish<P: PublishActivation>(
    publisher: &P,
    caller: &Caller,
    user: &User,
    channels: Vec<Channel>,
    reason: ActivationReason,
) -> Result<ActivationRequest, AppError> {
    let request = ActivationRequest::new(
        caller.tenant.clone(),
        user.id,
        channels,
        reason,
        &caller.actor,
    );
    publisher
        .publish(std::slice::from_ref(&request))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(request)
}

fn hash(password: &Password) -> Result<PasswordHash, AppError> {
    PasswordHash::hash(password).map_err(|e| AppError::Internal(e.to_string()))
}

/// Creates a user; with `send_text`, publishes a welcome activation by SMS.
pub async fn create_user<S, P>(
    store: &S,
    publisher: &P,
    caller: &Caller,
    draft: UserDraft,
) -> Result<Created, AppError>
where
    S: CreateUser + TenantSettingsStore + PickListStore + GroupStore + RecordActivation,
    P: PublishActivation,
{
    create_user_with(store, publisher, caller, draft, |_| {}).await
}

/// [`create_user`], with `finish` setting what only the entry point knows (SCIM's status and
/// provider attributes) on the new user before its one write.
pub async fn create_user_with<S, P, F>(
    store: &S,
    publisher: &P,
    caller: &Caller,
    draft: UserDraft,
    finish: F,
) -> Result<Created, AppError>
where
    S: CreateUser + TenantSettingsStore + PickListStore + GroupStore + RecordActivation,
    P: PublishActivation,
    F: FnOnce(&mut User),
{
    caller.require(Permission::ChangeUsers)?;
    let settings = store.get_settings(&caller.tenant).await?;
    let directory = api_directory(store, caller, &draft, None).await?;
    let valid = validate_user(&draft, &settings, &directory)?;
    if !caller.can_write(valid.profile.department_id.as_ref()) {
        return Err(forbidden_department(valid.profile.department_id.as_ref()));
    }
    let mut user = User::new(caller.tenant.clone(), valid.profile, &caller.actor);
    if let Some(p) = &valid.password {
        user.password_hash = Some(hash(p)?);
    }
    finish(&mut user);
    match store.create_user(&user).await {
        Ok(()) => {}
        // The id was made for this request, so a user under it is this very write, applied
        // by an attempt whose answer was lost (the SDK sent the transaction again).
        Err(StoreError::AlreadyExists) => {
            tracing::info!(user_id = %user.id, "the create was applied by an earlier attempt");
        }
        Err(e) => return Err(e.into()),
    }
    let activation = if user.profile.send_text {
        let request = ActivationRequest::new(
            caller.tenant.clone(),
            user.id,
            vec![Channel::Sms],
            ActivationReason::Welcome,
            &caller.actor,
        );
        let published = publisher.publish(std::slice::from_ref(&request)).await;
        if let Err(e) = &published {
            // The user exists either way: the record says the text did not go, so an admin
            // sees it and resends, not only a log line.
            let state = ActivationState::not_queued(
                &request,
                "the activation text could not be requested: resend it",
            );
            match store
                .record_activation(&caller.tenant, &user.id, &state)
                .await
            {
                Ok(()) => user.activation = Some(state),
                Err(record) => {
                    tracing::error!(user_id = %user.id, error = %record, "the failed welcome could not be recorded")
                }
            }
            tracing::error!(user_id = %user.id, error = %e, "welcome activation not published");
        }
        Some(published.map_err(|e| AppError::Internal(e.to_string())))
    } else {
        None
    };
    Ok(Created { user, activation })
}

/// A created user, and the outcome of publishing its welcome activation (with `send_text`).
pub struct Created {
    pub user: User,
    pub activation: Option<Result<(), AppError>>,
}

/// What an update requires of the stored user (`If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: the user exists (any version).
    Exists,
    /// The stored version is one of these (none: it cannot match).
    Versions(Vec<u64>),
}

impl Precondition {
    pub fn admits(&self, version: u64) -> bool {
        match self {
            Self::Exists => true,
            Self::Versions(versions) => versions.contains(&version),
        }
    }
}

/// Applies a partial update on the version the client read (`If-Match`).
pub async fn update_user<S>(
    store: &S,
    caller: &Caller,
    id: &UserId,
    if_match: Option<Precondition>,
    patch: Map<String, Value>,
) -> Result<User, AppError>
where
    S: GetUser + UpdateUser + TenantSettingsStore + PickListStore + GroupStore,
{
    caller.require(Permission::ChangeUsers)?;
    let precondition = if_match.ok_or(AppError::VersionRequired)?;
    let user = get_writable(store, caller, id).await?;
    if !precondition.admits(user.version) {
        return Err(AppError::VersionMismatch);
    }
    update_loaded(store, caller, user, patch, |_| {}).await
}

/// Lays `patch` over `user` (read with [`get_writable`] by the caller of this), validates,
/// lets `finish` set what only the entry point knows, and stores it if `user` is still the
/// current version.
pub(crate) async fn update_loaded<S, F>(
    store: &S,
    caller: &Caller,
    user: User,
    patch: Map<String, Value>,
    finish: F,
) -> Result<User, AppError>
where
    S: UpdateUser + TenantSettingsStore + PickListStore + GroupStore,
    F: FnOnce(&mut User),
{
    let draft = draft_with_patch(&user, patch)?;
    let settings = store.get_settings(&caller.tenant).await?;
    let directory = api_directory(store, caller, &draft, Some(&user)).await?;
    let valid = validate_user(&draft, &settings, &directory)?;
    if !caller.can_write(valid.profile.department_id.as_ref()) {
        return Err(forbidden_department(valid.profile.department_id.as_ref()));
    }
    let mut next = user.clone().touched(&caller.actor);
    next.profile = valid.profile;
    finish(&mut next);
    store.update_user(&user, &next).await?;
    Ok(next)
}

/// Stores a state change made by `change` on the current version.
pub(crate) async fn change<S, F>(
    store: &S,
    caller: &Caller,
    id: &UserId,
    change: F,
) -> Result<User, AppError>
where
    S: GetUser + UpdateUser,
    F: FnOnce(&mut User) -> Result<(), AppError>,
{
    caller.require(Permission::ChangeUsers)?;
    let user = get_writable(store, caller, id).await?;
    let mut next = user.clone().touched(&caller.actor);
    change(&mut next)?;
    store.update_user(&user, &next).await?;
    Ok(next)
}

/// [`change`] for a change that is safe to redo on a newer version (it reads what it changes
/// from the user it is given): retried a few times when someone else wrote the user meanwhile.
pub(crate) async fn change_retrying<S, F>(
    store: &S,
    caller: &Caller,
    id: &UserId,
    mut apply: F,
) -> Result<User, AppError>
where
    S: GetUser + UpdateUser,
    F: FnMut(&mut User) -> Result<(), AppError>,
{
    let mut attempt = 0;
    loop {
        match change(store, caller, id, &mut apply).await {
            Err(AppError::VersionMismatch) if attempt < 4 => attempt += 1,
            other => return other,
        }
    }
}

/// Deletes the user (its claims and memberships go in the same transaction); returns what
/// was deleted, so its photo objects can go too.
pub async fn delete_user<S: GetUser + DeleteUser>(
    store: &S,
    caller: &Caller,
    id: &UserId,
) -> Result<User, AppError> {
    caller.require(Permission::ChangeUsers)?;
    let user = get_writable(store, caller, id).await?;
    store.delete_user(&user).await?;
    Ok(user)
}

pub async fn disable_user<S: GetUser + UpdateUser>(
    store: &S,
    caller: &Caller,
    id: &UserId,
    reason: Option<&str>,
) -> Result<User, AppError> {
    let reason = validate_disable_reason(reason)?;
    change(store, caller, id, |u| {
        u.set_status(UserStatus::Disabled, reason, &caller.actor);
        Ok(())
    })
    .await
}

pub async fn enable_user<S: GetUser + UpdateUser>(
    store: &S,
    caller: &Caller,
    id: &UserId,
) -> Result<User, AppError> {
    change(store, caller, id, |u| {
        u.set_status(UserStatus::Active, None, &caller.actor);
        Ok(())
    })
    .await
}

/// What a password request asks for.
pub enum PasswordChange {
    Set(Password),
    Generate,
}

/// Sets or generates a password; returns the generated one (shown once) if any.
pub async fn set_password<S>(
    store: &S,
    caller: &Caller,
    id: &UserId,
    request: PasswordChange,
) -> Result<Option<Password>, AppError>
where
    S: GetUser + UpdateUser + TenantSettingsStore,
{
    let policy = store.get_settings(&caller.tenant).await?.password_policy;
    let (password, generated) = match request {
        PasswordChange::Generate => {
            let p = password::generate(&policy);
            (p.clone(), Some(p))
        }
        PasswordChange::Set(p) => {
            let problems = password::policy_violations(&policy, p.expose());
            if !problems.is_empty() {
                return Err(ValidationErrors::single("password", problems.join("; ")).into());
            }
            (p, None)
        }
    };
    let hashed = hash(&password)?;
    change(store, caller, id, |u| {
        u.password_hash = Some(hashed);
        u.password_reset_required = false;
        Ok(())
    })
    .await?;
    Ok(generated)
}

/// Flags the user to choose a new password at next sign-in.
pub async fn force_password_reset<S: GetUser + UpdateUser>(
    store: &S,
    caller: &Caller,
    id: &UserId,
) -> Result<User, AppError> {
    change(store, caller, id, |u| {
        u.password_reset_required = true;
        Ok(())
    })
    .await
}

/// Publishes an activation request (welcome / resend) over the channels asked for.
pub async fn send_activation<S, P>(
    store: &S,
    publisher: &P,
    caller: &Caller,
    id: &UserId,
    channels: Option<BTreeSet<Channel>>,
) -> Result<ActivationRequest, AppError>
where
    S: GetUser,
    P: PublishActivation,
{
    caller.require(Permission::ChangeUsers)?;
    let user = get_writable(store, caller, id).await?;
    if user.status == UserStatus::Disabled {
        return Err(AppError::Conflict {
            message: "the user is disabled: enable it before sending an activation".into(),
            fields: vec![],
        });
    }
    let channels = channels.unwrap_or_else(|| default_channels(&user));
    let mut problems = Vec::new();
    if channels.is_empty() {
        problems.push(("channels", "must name sms, email or both"));
    }
    if channels.contains(&Channel::Sms) && user.profile.mobile_phone.is_none() {
        problems.push(("channels", "sms needs a mobile phone number on the user"));
    }
    if channels.contains(&Channel::Email) && user.profile.email.is_none() {
        problems.push(("channels", "email needs an e-mail address on the user"));
    }
    if let Some((field, message)) = problems.first() {
        return Err(ValidationErrors::single(*field, *message).into());
    }
    let reason = if user.trusted {
        ActivationReason::Resend
    } else {
        ActivationReason::Welcome
    };
    publish(
        publisher,
        caller,
        &user,
        channels.into_iter().collect(),
        reason,
    )
    .await
}

/// Without an explicit choice, every channel the user can be reached on.
fn default_channels(user: &User) -> BTreeSet<Channel> {
    let mut channels = BTreeSet::new();
    if user.profile.mobile_phone.is_some() {
        channels.insert(Channel::Sms);
    }
    if user.profile.email.is_some() {
        channels.insert(Channel::Email);
    }
    channels
}

/// A page of users the caller may read; managers see only their departments.
pub async fn list_users<S: ListUsers>(
    store: &S,
    caller: &Caller,
    mut query: UserQuery,
) -> Result<Page<User>, AppError> {
    if caller.reads_only_own_departments() {
        match &query.department_id {
            Some(d) if !caller.can_read(Some(d)) => return Err(forbidden_department(Some(d))),
            Some(_) => {}
            None => match caller.departments.iter().collect::<Vec<_>>().as_slice() {
                [only] => query.department_id = Some((*only).clone()),
                [] => return Err(AppError::Forbidden("you manage no department".into())),
                _ => {
                    return Err(AppError::bad_field(
                        "department_id",
                        "is required: you manage several departments, list one at a time",
                    ));
                }
            },
        }
    }
    Ok(store.list_users(&caller.tenant, &query).await?)
}
