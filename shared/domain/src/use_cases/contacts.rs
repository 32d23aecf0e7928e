//! Contacts [000], the global address book [001, 004] and the organisation's shared contacts.
//!
//! Pages: the first page of a listing starts with the matching shared contacts (a tenant keeps
//! tens of them: reception, the help desk), then come users page by page under the user
//! listing's cursor. Users are read through an index (a department's members, or the sparse
//! address-book index, or the search indexes), never by scanning the tenant.

use serde_json::{Map, Value};

use crate::caller::{Caller, Permission};
use crate::directory::contacts::ContactEntry;
use crate::directory::shared_contact::{
    SharedContact, SharedContactDraft, validate_shared_contact,
};
use crate::error::AppError;
use crate::ids::{SharedContactId, UserId};
use crate::search::search_term;
use crate::store::{
    GetUser, ListUsers, Page, SharedContactStore, StoreError, TenantSettingsStore, UserQuery,
};
use crate::use_cases::users::get_user;
use crate::user::Stamp;
use crate::validation::{FieldError, decode_named};

fn not_found() -> AppError {
    AppError::NotFound("shared contact")
}

pub async fn list_shared_contacts<S: SharedContactStore>(
    store: &S,
    caller: &Caller,
) -> Result<Vec<SharedContact>, AppError> {
    let mut contacts = store.list_contacts(&caller.tenant).await?;
    contacts.sort_by_key(|c| (c.name.to_lowercase(), c.id.clone()));
    Ok(contacts)
}

fn decode(body: Map<String, Value>) -> Result<SharedContactDraft, AppError> {
    decode_named(Value::Object(body), "").map_err(|e| AppError::bad_field(e.field, e.message))
}

pub async fn create_shared_contact<S: SharedContactStore + TenantSettingsStore>(
    store: &S,
    caller: &Caller,
    body: Map<String, Value>,
) -> Result<SharedContact, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let draft = decode(body)?;
    let id = match draft.id.as_deref().map(str::trim) {
        None | Some("") => SharedContactId::generate(),
        Some(raw) => SharedContactId::parse(raw).map_err(|e| AppError::bad_field("id", e.0))?,
    };
    let settings = store.get_settings(&caller.tenant).await?;
    let valid = validate_shared_contact(&draft, &settings)?;
    let stamp = Stamp::now(&caller.actor);
    let contact = SharedContact {
        id,
        tenant_id: caller.tenant.clone(),
        name: valid.name,
        phone: valid.phone,
        email: valid.email,
        company: valid.company,
        created: stamp.clone(),
        updated: stamp,
    };
    store.create_contact(&contact).await.map_err(|e| match e {
        StoreError::AlreadyExists => AppError::Conflict {
            message: format!("shared contact '{}' already exists", contact.id),
            fields: vec![FieldError::new(
                "id",
                "is already used by another shared contact",
            )],
        },
        other => other.into(),
    })?;
    Ok(contact)
}

/// A merge patch over the contact (null clears phone, e-mail, company).
pub async fn update_shared_contact<S: SharedContactStore + TenantSettingsStore>(
    store: &S,
    caller: &Caller,
    id: &SharedContactId,
    patch: Map<String, Value>,
) -> Result<SharedContact, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    if patch.contains_key("id") {
        return Err(AppError::bad_field("id", "cannot be changed"));
    }
    let current = store
        .get_contact(&caller.tenant, id)
        .await?
        .ok_or_else(not_found)?;
    let mut fields = match serde_json::to_value(SharedContactDraft::from(&current)) {
        Ok(Value::Object(fields)) => fields,
        _ => return Err(AppError::Internal("a contact draft is an object".into())),
    };
    fields.extend(patch);
    let draft = decode(fields)?;
    let settings = store.get_settings(&caller.tenant).await?;
    let valid = validate_shared_contact(&draft, &settings)?;
    let next = SharedContact {
        name: valid.name,
        phone: valid.phone,
        email: valid.email,
        company: valid.company,
        updated: Stamp::now(&caller.actor),
        ..current
    };
    store.put_contact(&next).await.map_err(|e| match e {
        StoreError::NotFound => not_found(),
        other => other.into(),
    })?;
    Ok(next)
}

pub async fn delete_shared_contact<S: SharedContactStore>(
    store: &S,
    caller: &Caller,
    id: &SharedContactId,
) -> Result<(), AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let contact = store
        .get_contact(&caller.tenant, id)
        .await?
        .ok_or_else(not_found)?;
    store.delete_contact(&contact).await.map_err(|e| match e {
        StoreError::NotFound => not_found(),
        other => other.into(),
    })
}

/// Shared contacts whose name, e-mail or company starts with `q` (any word of the name).
fn matching_shared(contacts: Vec<SharedContact>, q: Option<&str>) -> Vec<ContactEntry> {
    let prefix = q.and_then(search_term);
    contacts
        .iter()
        .filter(|c| {
            let Some(prefix) = &prefix else { return true };
            let fields = [
                Some(c.name.as_str()),
                c.email.as_ref().map(|e| e.as_str()),
                c.company.as_deref(),
            ];
            fields.into_iter().flatten().any(|text| {
                let text = search_term(text).unwrap_or_default();
                text.starts_with(prefix.as_str())
                    || text
                        .split_whitespace()
                        .any(|word| word.starts_with(prefix.as_str()))
            })
        })
        .map(ContactEntry::from)
        .collect()
}

/// A page of a user listing, preceded on the first page by the shared contacts that match.
async fn with_shared<S: ListUsers + SharedContactStore>(
    store: &S,
    caller: &Caller,
    query: UserQuery,
    include_users: bool,
    skip: Option<UserId>,
) -> Result<Page<ContactEntry>, AppError> {
    let first_page = query.cursor.is_none();
    let mut items = Vec::new();
    if first_page {
        let shared = list_shared_contacts(store, caller).await?;
        items.extend(matching_shared(shared, query.text.as_deref()));
    }
    if !include_users {
        return Ok(Page {
            items,
            next_cursor: None,
        });
    }
    let page = store.list_users(&caller.tenant, &query).await?;
    items.extend(
        page.items
            .iter()
            .filter(|u| Some(u.id) != skip)
            .map(ContactEntry::from),
    );
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// `GET /v1/users/{id}/contacts`: with `maximal_contacts`, the members of the user's
/// department who also share theirs; and the shared contacts.
pub async fn user_contacts<S: GetUser + ListUsers + SharedContactStore>(
    store: &S,
    caller: &Caller,
    id: &UserId,
    cursor: Option<String>,
    limit: usize,
) -> Result<Page<ContactEntry>, AppError> {
    let user = get_user(store, caller, id).await?;
    let department = user
        .profile
        .department_id
        .clone()
        .filter(|_| user.profile.maximal_contacts);
    let include_users = department.is_some();
    let query = UserQuery {
        department_id: department,
        maximal_contacts: true,
        limit,
        cursor,
        ..UserQuery::default()
    };
    with_shared(store, caller, query, include_users, Some(user.id)).await
}

/// `GET /v1/address-book?q=`: users who opted in (`in_address_book`) and the shared contacts,
/// searched like users are. Every role of the tenant may read it: it holds only what its
/// people chose to publish to the whole organisation.
pub async fn address_book<S: ListUsers + SharedContactStore>(
    store: &S,
    caller: &Caller,
    q: Option<String>,
    cursor: Option<String>,
    limit: usize,
) -> Result<Page<ContactEntry>, AppError> {
    let query = UserQuery {
        text: q,
        address_book: true,
        limit,
        cursor,
        ..UserQuery::default()
    };
    with_shared(store, caller, query, true, None).await
}
