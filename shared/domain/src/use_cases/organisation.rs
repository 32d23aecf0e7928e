//! Use cases on a tenant's departments and settings.

use serde::Deserialize;

use crate::caller::{Caller, Permission};
use crate::department::Department;
use crate::error::AppError;
use crate::ids::DepartmentId;
use crate::store::{DepartmentStore, TenantSettingsStore};
use crate::tenant::TenantSettings;
use crate::user::Stamp;
use crate::validation::{NAME_MAX, ValidationErrors};

/// `POST /v1/departments` (and pick-list entries) body: a name, and optionally an id the
/// client chose (else the server makes one).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNamed {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
}

pub type NewDepartment = NewNamed;

impl NewNamed {
    /// The id the client chose (checked by `parse`), or a fresh server-made one.
    pub(crate) fn id_or<T>(
        &self,
        parse: fn(&str) -> Result<T, crate::ids::InvalidId>,
        generate: fn() -> T,
    ) -> Result<T, AppError> {
        match self.id.as_deref().map(str::trim) {
            None | Some("") => Ok(generate()),
            Some(raw) => {
                parse(raw).map_err(|e| AppError::Validation(ValidationErrors::single("id", e.0)))
            }
        }
    }
}

/// A 409 naming `name`: names are unique per list and tenant, compared without case.
pub(crate) fn name_taken(what: &str) -> AppError {
    AppError::Conflict {
        message: format!("another {what} already has this name"),
        fields: vec![crate::validation::FieldError::new(
            "name",
            format!("is already used by another {what} (compared without case)"),
        )],
    }
}

pub(crate) fn check_entry_name(name: &str) -> Result<String, AppError> {
    check_name(name)
}

/// `PATCH /v1/departments/{id}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRename {
    pub name: String,
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(ValidationErrors::single(
            "name",
            format!("must be 1 to {NAME_MAX} characters, without control characters"),
        )
        .into());
    }
    Ok(name.to_owned())
}

pub async fn create_department<S: DepartmentStore>(
    store: &S,
    caller: &Caller,
    new: NewDepartment,
) -> Result<Department, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let id = new.id_or(DepartmentId::parse, DepartmentId::generate)?;
    let stamp = Stamp::now(&caller.actor);
    let department = Department {
        id,
        tenant_id: caller.tenant.clone(),
        name: check_name(&new.name)?,
        created: stamp.clone(),
        updated: stamp,
    };
    store
        .create_department(&department)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NameTaken => name_taken("department"),
            crate::store::StoreError::AlreadyExists => AppError::Conflict {
                message: format!("department '{}' already exists", department.id),
                fields: vec![crate::validation::FieldError::new(
                    "id",
                    "is already used by another department",
                )],
            },
            other => other.into(),
        })?;
    Ok(department)
}

pub async fn list_departments<S: DepartmentStore>(
    store: &S,
    caller: &Caller,
) -> Result<Vec<Department>, AppError> {
    let all = store.list_departments(&caller.tenant).await?;
    Ok(all
        .into_iter()
        .filter(|d| caller.can_read(Some(&d.id)))
        .collect())
}

pub async fn rename_department<S: DepartmentStore>(
    store: &S,
    caller: &Caller,
    id: &DepartmentId,
    rename: DepartmentRename,
) -> Result<Department, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let name = check_name(&rename.name)?;
    let before = store
        .get_department(&caller.tenant, id)
        .await?
        .ok_or(AppError::NotFound("department"))?;
    let mut department = before.clone();
    department.name = name;
    department.updated = Stamp::now(&caller.actor);
    store
        .rename_department(&before, &department)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NameTaken => name_taken("department"),
            crate::store::StoreError::NotFound => AppError::NotFound("department"),
            other => other.into(),
        })?;
    Ok(department)
}

/// Refused with 409 while users remain in the department.
pub async fn delete_department<S: DepartmentStore>(
    store: &S,
    caller: &Caller,
    id: &DepartmentId,
) -> Result<(), AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let Some(department) = store.get_department(&caller.tenant, id).await? else {
        return Err(AppError::NotFound("department"));
    };
    if store.department_has_users(&caller.tenant, id).await? {
        return Err(AppError::Conflict {
            message: format!("department '{id}' still has users: move or delete them first"),
            fields: vec![],
        });
    }
    store
        .delete_department(&department)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => AppError::NotFound("department"),
            other => other.into(),
        })
}

pub async fn get_settings<S: TenantSettingsStore>(
    store: &S,
    caller: &Caller,
) -> Result<TenantSettings, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    Ok(store.get_settings(&caller.tenant).await?)
}

pub async fn put_settings<S: TenantSettingsStore>(
    store: &S,
    caller: &Caller,
    settings: TenantSettings,
) -> Result<TenantSettings, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let mut problems = Vec::new();
    if !(1..=20).contains(&settings.last_name_min_length) {
        problems.push(("last_name_min_length", "must be from 1 to 20".to_owned()));
    }
    if !(8..=128).contains(&settings.password_policy.min_length) {
        problems.push((
            "password_policy.min_length",
            "must be from 8 to 128".to_owned(),
        ));
    }
    if let Some(name) = &settings.display_name
        && (name.trim().is_empty()
            || name.chars().count() > NAME_MAX
            || name.chars().any(char::is_control))
    {
        problems.push((
            "display_name",
            format!("must be 1 to {NAME_MAX} characters, without control characters"),
        ));
    }
    if let Some(id) = &settings.sms_sender_id {
        let ok = (1..=11).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric());
        if !ok {
            problems.push((
                "sms_sender_id",
                "must be 1 to 11 letters or digits".to_owned(),
            ));
        }
    }
    if let Some((field, message)) = problems.into_iter().next() {
        return Err(ValidationErrors::single(field, message).into());
    }
    store.put_settings(&caller.tenant, &settings).await?;
    Ok(settings)
}
