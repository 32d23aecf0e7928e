//! Storage ports: one small trait per store operation, implemented once over DynamoDB
//! (`roster-aws`). Use cases and handlers are generic over just the traits they need, so a
//! handler's signature says what it may touch.
//!
//! Every operation takes the tenant (directly or inside the record): no port can address an
//! item by a bare id.

use std::future::Future;

use time::OffsetDateTime;

use crate::activation::model::ActivationCode;
use crate::department::Department;
use crate::directory::group::Group;
use crate::directory::shared_contact::SharedContact;
use crate::enums::{Role, UserKind, UserStatus};
use crate::ids::{
    DepartmentId, GroupId, ImportJobId, PickEntryId, SharedContactId, TenantId, UserId,
};
use crate::import::job::ImportJob;
use crate::pick_list::{PickListEntry, PickListKind};
use crate::tenant::TenantSettings;
use crate::user::User;

/// The field a uniqueness conflict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Login,
    Email,
    /// A device's extension (tenant-wide).
    Extension,
    /// A device's MAC address (tenant-wide).
    MacAddress,
}

impl UniqueField {
    pub fn as_str(self) -> &'static str {
        match self {
            UniqueField::Login => "login",
            UniqueField::Email => "email",
            UniqueField::Extension => "extension",
            UniqueField::MacAddress => "mac_address",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another record of the tenant already holds this login or e-mail (in any case).
    #[error("{} is already taken", field.as_str())]
    Conflict { field: UniqueField },
    /// A record with this id already exists (departments, jobs).
    #[error("already exists")]
    AlreadyExists,
    /// Another department (or pick-list entry) of the tenant has this name, in any case.
    #[error("the name is taken")]
    NameTaken,
    #[error("not found")]
    NotFound,
    /// The record changed since it was read: nothing was written.
    #[error("the record was changed by someone else")]
    VersionMismatch,
    /// The user's department does not exist (or was deleted meanwhile).
    #[error("the department does not exist")]
    MissingDepartment,
    /// The department still has users (one may have joined since it was checked).
    #[error("the department still has users")]
    DepartmentNotEmpty,
    /// An import is creating users in the tenant's departments (see [`DepartmentHold`]).
    #[error("an import is running")]
    ImportRunning,
    /// A pagination cursor that this store did not issue.
    #[error("the cursor is not valid")]
    BadCursor,
    /// Capacity exceeded even after retries; the caller may try again later.
    #[error("storage is busy")]
    Throttled,
    /// Anything else. The text is for logs only, never for clients.
    #[error("storage failure: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One page of a listing; `next_cursor` is opaque and absent on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Which users a listing returns. With `text`, a case-insensitive prefix search over first
/// name, last name, e-mail and login.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct UserQuery {
    pub text: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub kind: Option<UserKind>,
    pub hide_system: bool,
    /// Only users in the global address book (`in_address_book`).
    pub address_book: bool,
    /// Only users that share their contacts (`maximal_contacts`).
    pub maximal_contacts: bool,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl UserQuery {
    pub const DEFAULT_LIMIT: usize = 50;
    pub const MAX_LIMIT: usize = 200;

    /// Whether `user` passes the filters (not the text search).
    pub fn matches(&self, user: &User) -> bool {
        let p = &user.profile;
        self.department_id
            .as_ref()
            .is_none_or(|d| p.department_id.as_ref() == Some(d))
            && self.role.is_none_or(|r| p.roles.contains(&r))
            && self.status.is_none_or(|s| user.status == s)
            && self.kind.is_none_or(|k| p.kind == k)
            && !(self.hide_system && p.kind.is_system())
            && (!self.address_book || p.in_address_book)
            && (!self.maximal_contacts || p.maximal_contacts)
    }

    pub fn page_size(&self) -> usize {
        match self.limit {
            0 => Self::DEFAULT_LIMIT,
            n => n.min(Self::MAX_LIMIT),
        }
    }
}

pub trait CreateUser {
    /// Stores a new user and claims its login and e-mail, all or nothing.
    fn create_user(&self, user: &User) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait GetUser {
    fn get_user(
        &self,
        tenant: &TenantId,
        id: &UserId,
    ) -> impl Future<Output = StoreResult<Option<User>>> + Send;
}

pub trait FindUser {
    /// `login` in any case.
    fn find_by_login(
        &self,
        tenant: &TenantId,
        login: &str,
    ) -> impl Future<Output = StoreResult<Option<User>>> + Send;

    /// `email` in any case.
    fn find_by_email(
        &self,
        tenant: &TenantId,
        email: &str,
    ) -> impl Future<Output = StoreResult<Option<User>>> + Send;
}

pub trait UpdateUser {
    /// Replaces `before` with `after` (its next version) if `before` is still current, moving
    /// login and e-mail claims in the same transaction.
    fn update_user(
        &self,
        before: &User,
        after: &User,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait TrustUser {
    /// Stores `after` (the next version of `before` with `trusted` set) by writing only
    /// `trusted`, `version` and `updated`, if `before` is still current: the public device
    /// activation may change nothing else of a user (docs/security.md).
    fn mark_trusted(
        &self,
        before: &User,
        after: &User,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait DeleteUser {
    /// Deletes `user` if unchanged since read, and frees its login and e-mail.
    fn delete_user(&self, user: &User) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait ListUsers {
    fn list_users(
        &self,
        tenant: &TenantId,
        query: &UserQuery,
    ) -> impl Future<Output = StoreResult<Page<User>>> + Send;
}

pub trait DepartmentStore {
    fn create_department(
        &self,
        department: &Department,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_department(
        &self,
        tenant: &TenantId,
        id: &DepartmentId,
    ) -> impl Future<Output = StoreResult<Option<Department>>> + Send;
    fn list_departments(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Vec<Department>>> + Send;
    /// Replaces `before` with `after`, moving the name claim when the name changes.
    fn rename_department(
        &self,
        before: &Department,
        after: &Department,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether any user is still in the department (delete is refused while one is).
    fn department_has_users(
        &self,
        tenant: &TenantId,
        id: &DepartmentId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Deletes the department and frees its name.
    fn delete_department(
        &self,
        department: &Department,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// A tenant's pick lists (locations, job descriptions).
pub trait PickListStore {
    /// Stores a new entry and claims its name (`AlreadyExists` for its id, `NameTaken`).
    fn create_entry(
        &self,
        kind: PickListKind,
        entry: &PickListEntry,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_entry(
        &self,
        tenant: &TenantId,
        kind: PickListKind,
        id: &PickEntryId,
    ) -> impl Future<Output = StoreResult<Option<PickListEntry>>> + Send;
    fn list_entries(
        &self,
        tenant: &TenantId,
        kind: PickListKind,
    ) -> impl Future<Output = StoreResult<Vec<PickListEntry>>> + Send;
    /// Deletes the entry and frees its name.
    fn delete_entry(
        &self,
        kind: PickListKind,
        entry: &PickListEntry,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait GroupStore {
    /// Stores a new group and claims its name (`AlreadyExists` for its id, `NameTaken`).
    fn create_group(&self, group: &Group) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_group(
        &self,
        tenant: &TenantId,
        id: &GroupId,
    ) -> impl Future<Output = StoreResult<Option<Group>>> + Send;
    fn list_groups(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Vec<Group>>> + Send;
    /// Replaces `before` with `after`, moving the name claim when the name changes.
    fn update_group(
        &self,
        before: &Group,
        after: &Group,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes the group and frees its name (memberships are removed user by user).
    fn delete_group(&self, group: &Group) -> impl Future<Output = StoreResult<()>> + Send;
    /// A page of the group's members, by user id.
    fn list_members(
        &self,
        tenant: &TenantId,
        group: &GroupId,
        cursor: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Page<User>>> + Send;
}

pub trait SharedContactStore {
    /// `AlreadyExists` for a taken id.
    fn create_contact(
        &self,
        contact: &SharedContact,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_contact(
        &self,
        tenant: &TenantId,
        id: &SharedContactId,
    ) -> impl Future<Output = StoreResult<Option<SharedContact>>> + Send;
    /// Every shared contact of the tenant (a tenant keeps tens to hundreds).
    fn list_contacts(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Vec<SharedContact>>> + Send;
    /// Replaces the contact if it still exists (`NotFound` otherwise).
    fn put_contact(&self, contact: &SharedContact) -> impl Future<Output = StoreResult<()>> + Send;
    fn delete_contact(
        &self,
        contact: &SharedContact,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait TenantSettingsStore {
    /// The stored settings, or the defaults for a tenant that never saved any.
    fn get_settings(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<TenantSettings>> + Send;
    fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &TenantSettings,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait ImportJobStore {
    fn create_job(&self, job: &ImportJob) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_job(
        &self,
        tenant: &TenantId,
        id: &ImportJobId,
    ) -> impl Future<Output = StoreResult<Option<ImportJob>>> + Send;
    /// Stores `job` if the stored one is still at `expected_version` (else `VersionMismatch`).
    fn save_job(
        &self,
        expected_version: u64,
        job: &ImportJob,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Every job of every tenant that a worker still has to run or that waits for its upload
    /// (for the sweep, never for a caller).
    fn list_live_jobs(&self) -> impl Future<Output = StoreResult<Vec<ImportJob>>> + Send;
    /// Jobs uploaded in `[from, to)`, oldest first.
    fn list_jobs(
        &self,
        tenant: &TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<Vec<ImportJob>>> + Send;
}

/// The shares of a job split across workers. A share's record is saved with
/// [`ImportJobStore::save_job`] like the job's (the record says which it is).
pub trait ImportShareStore {
    /// Creates the share's record unless it exists (`AlreadyExists`).
    fn create_share(&self, share: &ImportJob) -> impl Future<Output = StoreResult<()>> + Send;
    /// Share `index` of the job, read strongly consistent.
    fn get_share(
        &self,
        tenant: &TenantId,
        id: &ImportJobId,
        index: u32,
    ) -> impl Future<Output = StoreResult<Option<ImportJob>>> + Send;
}

/// Keeps a tenant's departments from being deleted while an import creates users in them.
/// Imported users are not counted on their department's member counters one by one (two
/// write units each, see [`crate::user::User::uncounted_in`]): the job's hold stands in for
/// those counts while it writes, and the department index shows its users afterwards.
pub trait DepartmentHold {
    /// Taken before the job reads the departments it validates rows against; idempotent.
    fn hold_departments(
        &self,
        tenant: &TenantId,
        job: &ImportJobId,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Given back once the job has nothing left to write; idempotent.
    fn release_departments(
        &self,
        tenant: &TenantId,
        job: &ImportJobId,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

pub trait ActivationCodeStore {
    /// Stores the code, replacing any earlier one of the user; it expires by TTL.
    fn put_code(&self, code: &ActivationCode) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_code(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> impl Future<Output = StoreResult<Option<ActivationCode>>> + Send;
    fn delete_code(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Counts one wrong try (atomically) and returns the count; a dead code stays dead.
    fn record_failed_attempt(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> impl Future<Output = StoreResult<u8>> + Send;
    /// Deletes a live code; `false` when it was already used, dead or gone (so a code can
    /// activate only once, even under concurrent tries).
    fn consume_code(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Failed activations this hour, of one login and of one source address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivationFailures {
    pub login: u32,
    pub source: u32,
}

/// Counts failed activations per login and per source (hourly windows, expiring by TTL), so
/// the public endpoint can lock a login (IMEI guessing) and a source (spraying many logins).
pub trait ActivationLimits {
    /// The counts of the current window, read together (one request).
    fn failures(
        &self,
        tenant: &TenantId,
        login: &str,
        source: &str,
    ) -> impl Future<Output = StoreResult<ActivationFailures>> + Send;
    /// Counts one failure of the source, and of the login when `count_login`; the new counts.
    fn count_failure(
        &self,
        tenant: &TenantId,
        login: &str,
        source: &str,
        count_login: bool,
    ) -> impl Future<Output = StoreResult<ActivationFailures>> + Send;
}

/// A trait that only names a group of ports, implemented for every type that has them all.
macro_rules! port_group {
    ($(#[$doc:meta])* $name:ident = $first:path $(, $rest:path)*) => {
        $(#[$doc])*
        pub trait $name: $first $(+ $rest)* + Sync {}
        impl<T: $first $(+ $rest)* + Sync> $name for T {}
    };
}

port_group!(
    /// Everything the directory's use cases (users, departments, pick lists, settings) touch:
    /// what the users API is generic over.
    DirectoryStore = CreateUser, GetUser, FindUser, UpdateUser, DeleteUser, ListUsers,
        DepartmentStore, PickListStore, TenantSettingsStore, GroupStore, SharedContactStore,
        crate::activation::RecordActivation, crate::use_cases::export_job::ExportJobStore
);

port_group!(
    /// The directory plus import jobs: what running an import touches.
    ImportStore = DirectoryStore, ImportJobStore, ImportShareStore, DepartmentHold
);
