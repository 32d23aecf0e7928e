//! Pick lists (seed 003): the locations and job descriptions admins choose from. Once a tenant
//! keeps entries in a list, a user's `location` / `job_description` must be one of them (the
//! API and the importer check it the same way, through [`crate::validation::Directory`]).

use serde::{Deserialize, Serialize};

use crate::caller::{Caller, Permission};
use crate::error::AppError;
use crate::ids::{PickEntryId, TenantId};
use crate::organisation::{NewNamed, check_entry_name, name_taken};
use crate::store::{PickListStore, StoreError};
use crate::user::Stamp;
use crate::validation::PickList;

/// Which pick list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PickListKind {
    Location,
    JobDescription,
}

impl PickListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::JobDescription => "job_description",
        }
    }

    /// How a message names one entry.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::JobDescription => "job description",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickListEntry {
    pub id: PickEntryId,
    pub tenant_id: TenantId,
    pub name: String,
    pub created: Stamp,
}

/// The tenant's list as validation uses it.
pub fn pick_list(entries: &[PickListEntry]) -> PickList {
    PickList::new(entries.iter().map(|e| e.name.clone()))
}

pub async fn list_entries<S: PickListStore>(
    store: &S,
    caller: &Caller,
    kind: PickListKind,
) -> Result<Vec<PickListEntry>, AppError> {
    // Every role may read its own tenant's pick lists: they fill the portal's drop-downs.
    let mut entries = store.list_entries(&caller.tenant, kind).await?;
    entries.sort_by_key(|e| e.name.to_lowercase());
    Ok(entries)
}

pub async fn create_entry<S: PickListStore>(
    store: &S,
    caller: &Caller,
    kind: PickListKind,
    new: NewNamed,
) -> Result<PickListEntry, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let id = new.id_or(PickEntryId::parse, PickEntryId::generate)?;
    let entry = PickListEntry {
        id,
        tenant_id: caller.tenant.clone(),
        name: check_entry_name(&new.name)?,
        created: Stamp::now(&caller.actor),
    };
    store
        .create_entry(kind, &entry)
        .await
        .map_err(|e| match e {
            StoreError::NameTaken => name_taken(kind.noun()),
            StoreError::AlreadyExists => AppError::Conflict {
                message: format!("a {} with id '{}' already exists", kind.noun(), entry.id),
                fields: vec![crate::validation::FieldError::new(
                    "id",
                    format!("is already used by another {}", kind.noun()),
                )],
            },
            other => other.into(),
        })?;
    Ok(entry)
}

/// Users keep the value they have; new and edited users may no longer choose it.
pub async fn delete_entry<S: PickListStore>(
    store: &S,
    caller: &Caller,
    kind: PickListKind,
    id: &PickEntryId,
) -> Result<(), AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let not_found = || AppError::NotFound(kind.noun());
    let entry = store
        .get_entry(&caller.tenant, kind, id)
        .await?
        .ok_or_else(not_found)?;
    store.delete_entry(kind, &entry).await.map_err(|e| match e {
        StoreError::NotFound => not_found(),
        other => other.into(),
    })
}
