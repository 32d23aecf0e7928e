//! Use cases on the tenant's pick lists (locations, job descriptions).

use crate::caller::{Caller, Permission};
use crate::error::AppError;
use crate::ids::PickEntryId;
use crate::pick_list::{PickListEntry, PickListKind};
use crate::store::{PickListStore, StoreError};
use crate::use_cases::organisation::{NewNamed, check_entry_name, name_taken};
use crate::user::Stamp;

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
