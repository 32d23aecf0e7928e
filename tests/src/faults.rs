//! Fault injection for the worker's and the activation sender's ports: a wrapper that fails (or reports a timeout on) one
//! chosen call of one operation, the way a real S3 or SQS error would, and passes every other
//! call to the real adapter. Tests then make the retry or duplicate delivery that Lambda, SQS
//! or SNS would make, and check that nothing was lost or done twice.

use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use std::future::Future;

use roster_domain::activation::{
    ActivationCode, ActivationRequest, ActivationRequestLog, ActivationState, Channel, Claim,
    DeliveryError, PublishActivation, PublishError, RecordActivation, SendEmail, SendSms,
};
use roster_domain::department::Department;
use roster_domain::directory::group::Group;
use roster_domain::directory::shared_contact::SharedContact;
use roster_domain::ids::{
    DepartmentId, ExportJobId, GroupId, ImportJobId, PickEntryId, SharedContactId, TenantId, UserId,
};
use roster_domain::import::files::{ContinueJob, ImportFiles, ObjectRef, StoredObject};
use roster_domain::import::job::ImportJob;
use roster_domain::pick_list::{PickListEntry, PickListKind};
use roster_domain::store::{
    ActivationCodeStore, CreateUser, DeleteUser, DepartmentHold, DepartmentStore, FindUser,
    GetUser, GroupStore, ImportJobStore, ImportShareStore, ListUsers, Page, PickListStore,
    SharedContactStore, StoreError, StoreResult, TenantSettingsStore, TrustUser, UpdateUser,
    UserQuery,
};
use roster_domain::tenant::TenantSettings;
use roster_domain::upload::{PartUploads, UploadedPart};
use roster_domain::use_cases::export_job::{
    ContinueExport, ExportFiles, ExportJob, ExportJobStore,
};
use roster_domain::user::{EmailAddress, PhoneNumber, User};

/// Which call fails: the `nth` (1-based) call of `operation` whose key contains `key_part`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub operation: &'static str,
    pub key_part: String,
    pub nth: usize,
}

impl Fault {
    pub fn on(operation: &'static str, key_part: &str, nth: usize) -> Self {
        Self {
            operation,
            key_part: key_part.to_owned(),
            nth,
        }
    }
}

/// A plan of faults, each firing once.
#[derive(Debug, Default)]
pub struct Plan {
    faults: Mutex<Vec<(Fault, usize)>>,
    fired: Mutex<Vec<String>>,
}

impl Plan {
    pub fn new(faults: impl IntoIterator<Item = Fault>) -> Self {
        Self {
            faults: Mutex::new(faults.into_iter().map(|f| (f, 0)).collect()),
            fired: Mutex::default(),
        }
    }

    /// `Err` when this call is the one a fault names.
    fn check(&self, operation: &str, key: &str) -> Result<(), String> {
        let mut faults = self.faults.lock().unwrap();
        let mut fires = false;
        // Every matching fault counts the call, so two faults on one operation both fire.
        for (fault, seen) in faults.iter_mut() {
            if fault.operation == operation && key.contains(&fault.key_part) {
                *seen += 1;
                fires |= *seen == fault.nth;
            }
        }
        if !fires {
            return Ok(());
        }
        let what = format!("{operation} {key} (injected fault)");
        self.fired.lock().unwrap().push(what.clone());
        Err(what)
    }

    /// The faults that fired, in order.
    pub fn fired(&self) -> Vec<String> {
        self.fired.lock().unwrap().clone()
    }
}

/// The import bucket with faults.
pub struct FaultyFiles<F> {
    pub inner: F,
    pub plan: Plan,
}

impl<F: ImportFiles> ImportFiles for FaultyFiles<F> {
    async fn head(&self, object: ObjectRef<'_>) -> Result<Option<StoredObject>, String> {
        self.plan.check("head", object.key)?;
        self.inner.head(object).await
    }

    async fn stream(
        &self,
        object: ObjectRef<'_>,
        from: u64,
    ) -> Result<Box<dyn Read + Send>, String> {
        self.plan.check("stream", object.key)?;
        self.inner.stream(object, from).await
    }

    async fn download(&self, object: ObjectRef<'_>) -> Result<Vec<u8>, String> {
        self.plan.check("download", object.key)?;
        self.inner.download(object).await
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), String> {
        self.plan.check("put", key)?;
        self.inner.put(key, bytes, content_type).await
    }

    async fn delete(&self, keys: &[String]) -> Result<(), String> {
        self.plan.check("delete", &keys.join(" "))?;
        self.inner.delete(keys).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, String> {
        self.plan.check("list", prefix)?;
        self.inner.list(prefix).await
    }

    async fn download_link(&self, key: &str) -> Result<String, String> {
        self.inner.download_link(key).await
    }

    async fn upload_link(&self, key: &str) -> Result<String, String> {
        self.inner.upload_link(key).await
    }
}

impl<F: PartUploads> PartUploads for FaultyFiles<F> {
    async fn start_upload(&self, key: &str, content_type: &str) -> Result<String, String> {
        self.plan.check("start_upload", key)?;
        self.inner.start_upload(key, content_type).await
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        bytes: Vec<u8>,
    ) -> Result<String, String> {
        self.plan.check("upload_part", key)?;
        self.inner.upload_part(key, upload_id, number, bytes).await
    }

    async fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> Result<(), String> {
        self.plan.check("complete_upload", key)?;
        self.inner.complete_upload(key, upload_id, parts).await
    }
}

impl<F: ExportFiles> ExportFiles for FaultyFiles<F> {
    async fn put_export(&self, key: &str, bytes: Vec<u8>) -> Result<(), String> {
        self.plan.check("put_export", key)?;
        self.inner.put_export(key, bytes).await
    }

    async fn export_link(&self, key: &str) -> Result<String, String> {
        self.inner.export_link(key).await
    }
}

/// The continuation queue with faults (operation `continue`, key = the job id).
pub struct FaultyContinuation<C> {
    pub inner: C,
    pub plan: Plan,
}

impl<C: ContinueJob> ContinueJob for FaultyContinuation<C> {
    async fn continue_job(
        &self,
        tenant: &TenantId,
        job: &ImportJobId,
        share: Option<u32>,
    ) -> Result<(), String> {
        self.plan.check("continue", &job.to_string())?;
        self.inner.continue_job(tenant, job, share).await
    }
}

impl<C: ContinueExport> ContinueExport for FaultyContinuation<C> {
    async fn continue_export(&self, tenant: &TenantId, id: &ExportJobId) -> Result<(), String> {
        self.plan.check("continue", &id.to_string())?;
        self.inner.continue_export(tenant, id).await
    }
}

/// The activation sender's store with faults (operations named after the port methods,
/// key = the tenant and the user or request id).
pub struct FaultyActivationStore<S> {
    pub inner: S,
    pub plan: Plan,
}

fn store_fault(plan: &Plan, operation: &str, key: &str) -> StoreResult<()> {
    plan.check(operation, key).map_err(StoreError::Unavailable)
}

impl<S: GetUser + Sync> GetUser for FaultyActivationStore<S> {
    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>> {
        store_fault(&self.plan, "get_user", &format!("{tenant}/{id}"))?;
        self.inner.get_user(tenant, id).await
    }
}

impl<S: TenantSettingsStore + Sync> TenantSettingsStore for FaultyActivationStore<S> {
    async fn get_settings(&self, tenant: &TenantId) -> StoreResult<TenantSettings> {
        self.inner.get_settings(tenant).await
    }

    async fn put_settings(&self, tenant: &TenantId, settings: &TenantSettings) -> StoreResult<()> {
        self.inner.put_settings(tenant, settings).await
    }
}

impl<S: ActivationCodeStore + Sync> ActivationCodeStore for FaultyActivationStore<S> {
    async fn put_code(&self, code: &ActivationCode) -> StoreResult<()> {
        let key = format!("{}/{}", code.tenant_id, code.user_id);
        store_fault(&self.plan, "put_code", &key)?;
        self.inner.put_code(code).await
    }

    async fn get_code(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Option<ActivationCode>> {
        self.inner.get_code(tenant, user).await
    }

    async fn delete_code(&self, tenant: &TenantId, user: &UserId) -> StoreResult<()> {
        self.inner.delete_code(tenant, user).await
    }

    async fn record_failed_attempt(&self, tenant: &TenantId, user: &UserId) -> StoreResult<u8> {
        self.inner.record_failed_attempt(tenant, user).await
    }

    async fn consume_code(&self, tenant: &TenantId, user: &UserId) -> StoreResult<bool> {
        self.inner.consume_code(tenant, user).await
    }
}

impl<S: RecordActivation + Sync> RecordActivation for FaultyActivationStore<S> {
    async fn record_activation(
        &self,
        tenant: &TenantId,
        user: &UserId,
        state: &ActivationState,
    ) -> StoreResult<()> {
        store_fault(&self.plan, "record_activation", &format!("{tenant}/{user}"))?;
        self.inner.record_activation(tenant, user, state).await
    }
}

impl<S: ActivationRequestLog + Sync> ActivationRequestLog for FaultyActivationStore<S> {
    async fn claim(
        &self,
        tenant: &TenantId,
        request_id: &str,
        lease: time::Duration,
    ) -> StoreResult<Claim> {
        store_fault(&self.plan, "claim", &format!("{tenant}/{request_id}"))?;
        self.inner.claim(tenant, request_id, lease).await
    }

    async fn mark_delivered(
        &self,
        tenant: &TenantId,
        request_id: &str,
        channel: Channel,
    ) -> StoreResult<()> {
        store_fault(
            &self.plan,
            "mark_delivered",
            &format!("{tenant}/{request_id}"),
        )?;
        self.inner.mark_delivered(tenant, request_id, channel).await
    }

    async fn finish(&self, tenant: &TenantId, request_id: &str) -> StoreResult<()> {
        store_fault(&self.plan, "finish", &format!("{tenant}/{request_id}"))?;
        self.inner.finish(tenant, request_id).await
    }

    async fn release(&self, tenant: &TenantId, request_id: &str) -> StoreResult<()> {
        store_fault(&self.plan, "release", &format!("{tenant}/{request_id}"))?;
        self.inner.release(tenant, request_id).await
    }
}

/// A text or e-mail service with faults (operation `sms` or `email`, key = the address):
/// transient, as a throttled or unreachable service would be.
pub struct FaultySender<M> {
    pub inner: M,
    pub plan: Plan,
}

impl<M: SendSms + Sync> SendSms for FaultySender<M> {
    async fn send_sms(
        &self,
        to: &PhoneNumber,
        text: &str,
        sender_id: Option<&str>,
    ) -> Result<(), DeliveryError> {
        self.plan
            .check("sms", to.as_str())
            .map_err(DeliveryError::Transient)?;
        self.inner.send_sms(to, text, sender_id).await
    }
}

impl<M: SendEmail + Sync> SendEmail for FaultySender<M> {
    async fn send_email(
        &self,
        to: &EmailAddress,
        subject: &str,
        text: &str,
    ) -> Result<(), DeliveryError> {
        self.plan
            .check("email", to.as_str())
            .map_err(DeliveryError::Transient)?;
        self.inner.send_email(to, subject, text).await
    }
}

/// A table over its write rate, as the worker's store meets it: user writes beyond the rule
/// are refused before writing with [`StoreError::Throttled`] (what the adapter reports once
/// its own retries are spent).
#[derive(Debug)]
pub struct Throttle {
    rule: ThrottleRule,
    /// (start of the current one-second window, writes admitted in it; first write seen)
    state: Mutex<(Option<Instant>, usize, Option<Instant>)>,
    refused: AtomicUsize,
}

#[derive(Debug, Clone, Copy)]
pub enum ThrottleRule {
    Unlimited,
    /// At most this many user writes in each second.
    PerSecond(usize),
    /// Every user write refused for this long after the first one.
    For(Duration),
}

impl Throttle {
    pub fn new(rule: ThrottleRule) -> Self {
        Self {
            rule,
            state: Mutex::default(),
            refused: AtomicUsize::new(0),
        }
    }

    pub fn unlimited() -> Self {
        Self::new(ThrottleRule::Unlimited)
    }

    /// User writes refused so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }

    fn admit(&self) -> StoreResult<()> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap();
        let (window, admitted, first) = &mut *state;
        let first = *first.get_or_insert(now);
        let allowed = match self.rule {
            ThrottleRule::Unlimited => true,
            ThrottleRule::For(span) => now >= first + span,
            ThrottleRule::PerSecond(limit) => {
                if window.is_none_or(|start| now >= start + Duration::from_secs(1)) {
                    *window = Some(now);
                    *admitted = 0;
                }
                *admitted < limit
            }
        };
        if allowed {
            *admitted += 1;
            Ok(())
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            Err(StoreError::Throttled)
        }
    }
}

/// The worker's store with faults on its writes: `create_user`, `update_user`, `delete_user`
/// and `save_job` fail before writing (key = the login, or the job id), and the same names
/// with `+` write first and then report a failure, as a call that timed out after DynamoDB
/// applied it would; `create_user+retried` and `save_job+retried` write and then send the
/// same write again, as the SDK retries a request whose answer was lost. Reads pass through.
pub struct FaultyStore<S> {
    pub inner: S,
    pub plan: Plan,
    /// Applies to `create_user` and `update_user`.
    pub throttle: Throttle,
}

impl<S> FaultyStore<S> {
    /// Runs `write` with the faults planned for `operation` on `key`.
    async fn write<T>(
        &self,
        operation: &str,
        key: &str,
        write: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        store_fault(&self.plan, operation, key)?;
        let done = write.await?;
        store_fault(&self.plan, &format!("{operation}+"), key)?;
        Ok(done)
    }
}

impl<S: CreateUser + Sync> CreateUser for FaultyStore<S> {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.throttle.admit()?;
        let login = user.profile.login.as_str().to_owned();
        if store_fault(&self.plan, "create_user+retried", &login).is_err() {
            // Applied, the answer lost, and the same request sent again (the SDK's retry).
            self.inner.create_user(user).await?;
            return self.inner.create_user(user).await;
        }
        self.write("create_user", &login, self.inner.create_user(user))
            .await
    }
}

impl<S: UpdateUser + Sync> UpdateUser for FaultyStore<S> {
    async fn update_user(&self, before: &User, after: &User) -> StoreResult<()> {
        self.throttle.admit()?;
        let login = after.profile.login.as_str().to_owned();
        self.write("update_user", &login, self.inner.update_user(before, after))
            .await
    }
}

impl<S: TrustUser + Sync> TrustUser for FaultyStore<S> {
    async fn mark_trusted(&self, before: &User, after: &User) -> StoreResult<()> {
        let login = after.profile.login.as_str().to_owned();
        self.write(
            "mark_trusted",
            &login,
            self.inner.mark_trusted(before, after),
        )
        .await
    }
}

impl<S: DeleteUser + Sync> DeleteUser for FaultyStore<S> {
    async fn delete_user(&self, user: &User) -> StoreResult<()> {
        let login = user.profile.login.as_str().to_owned();
        self.write("delete_user", &login, self.inner.delete_user(user))
            .await
    }
}

impl<S: DepartmentHold + Sync> DepartmentHold for FaultyStore<S> {
    async fn hold_departments(&self, tenant: &TenantId, job: &ImportJobId) -> StoreResult<()> {
        self.write(
            "hold_departments",
            &job.to_string(),
            self.inner.hold_departments(tenant, job),
        )
        .await
    }

    async fn release_departments(&self, tenant: &TenantId, job: &ImportJobId) -> StoreResult<()> {
        self.write(
            "release_departments",
            &job.to_string(),
            self.inner.release_departments(tenant, job),
        )
        .await
    }
}

impl<S: ImportShareStore + Sync> ImportShareStore for FaultyStore<S> {
    async fn create_share(&self, share: &ImportJob) -> StoreResult<()> {
        let id = format!("{}#{}", share.id, share.share_index().unwrap_or_default());
        self.write("create_share", &id, self.inner.create_share(share))
            .await
    }

    async fn get_share(
        &self,
        tenant: &TenantId,
        id: &ImportJobId,
        index: u32,
    ) -> StoreResult<Option<ImportJob>> {
        self.inner.get_share(tenant, id, index).await
    }
}

impl<S: ImportJobStore + Sync> ImportJobStore for FaultyStore<S> {
    async fn create_job(&self, job: &ImportJob) -> StoreResult<()> {
        self.inner.create_job(job).await
    }

    async fn get_job(&self, tenant: &TenantId, id: &ImportJobId) -> StoreResult<Option<ImportJob>> {
        self.inner.get_job(tenant, id).await
    }

    async fn save_job(&self, expected_version: u64, job: &ImportJob) -> StoreResult<()> {
        let id = job.id.to_string();
        if store_fault(&self.plan, "save_job+retried", &id).is_err() {
            self.inner.save_job(expected_version, job).await?;
            return self.inner.save_job(expected_version, job).await;
        }
        self.write("save_job", &id, self.inner.save_job(expected_version, job))
            .await
    }

    async fn list_live_jobs(&self) -> StoreResult<Vec<ImportJob>> {
        self.inner.list_live_jobs().await
    }

    async fn list_jobs(
        &self,
        tenant: &TenantId,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> StoreResult<Vec<ImportJob>> {
        self.inner.list_jobs(tenant, from, to).await
    }
}

impl<S: ExportJobStore + Sync> ExportJobStore for FaultyStore<S> {
    async fn save_export(&self, expected: u64, job: &ExportJob) -> StoreResult<()> {
        let id = job.id.to_string();
        self.write("save_export", &id, self.inner.save_export(expected, job))
            .await
    }

    async fn get_export(
        &self,
        tenant: &TenantId,
        id: &ExportJobId,
    ) -> StoreResult<Option<ExportJob>> {
        self.inner.get_export(tenant, id).await
    }
}

/// Passes the named methods of a port straight to `inner`.
macro_rules! pass_through {
    ($port:path { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $out:ty;)* }) => {
        impl<S: $port + Sync> $port for FaultyStore<S> {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> StoreResult<$out> {
                    self.inner.$name($($arg),*).await
                }
            )*
        }
    };
}

pass_through!(GetUser {
    fn get_user(&self, tenant: &TenantId, id: &UserId) -> Option<User>;
});

pass_through!(FindUser {
    fn find_by_login(&self, tenant: &TenantId, login: &str) -> Option<User>;
    fn find_by_email(&self, tenant: &TenantId, email: &str) -> Option<User>;
});

pass_through!(ListUsers {
    fn list_users(&self, tenant: &TenantId, query: &UserQuery) -> Page<User>;
});

pass_through!(DepartmentStore {
    fn create_department(&self, department: &Department) -> ();
    fn get_department(&self, tenant: &TenantId, id: &DepartmentId) -> Option<Department>;
    fn list_departments(&self, tenant: &TenantId) -> Vec<Department>;
    fn rename_department(&self, before: &Department, after: &Department) -> ();
    fn department_has_users(&self, tenant: &TenantId, id: &DepartmentId) -> bool;
    fn delete_department(&self, department: &Department) -> ();
});

pass_through!(PickListStore {
    fn create_entry(&self, kind: PickListKind, entry: &PickListEntry) -> ();
    fn get_entry(&self, tenant: &TenantId, kind: PickListKind, id: &PickEntryId) -> Option<PickListEntry>;
    fn list_entries(&self, tenant: &TenantId, kind: PickListKind) -> Vec<PickListEntry>;
    fn delete_entry(&self, kind: PickListKind, entry: &PickListEntry) -> ();
});

pass_through!(GroupStore {
    fn create_group(&self, group: &Group) -> ();
    fn get_group(&self, tenant: &TenantId, id: &GroupId) -> Option<Group>;
    fn list_groups(&self, tenant: &TenantId) -> Vec<Group>;
    fn update_group(&self, before: &Group, after: &Group) -> ();
    fn delete_group(&self, group: &Group) -> ();
    fn list_members(&self, tenant: &TenantId, group: &GroupId, cursor: Option<&str>, limit: usize) -> Page<User>;
});

pass_through!(SharedContactStore {
    fn create_contact(&self, contact: &SharedContact) -> ();
    fn get_contact(&self, tenant: &TenantId, id: &SharedContactId) -> Option<SharedContact>;
    fn list_contacts(&self, tenant: &TenantId) -> Vec<SharedContact>;
    fn put_contact(&self, contact: &SharedContact) -> ();
    fn delete_contact(&self, contact: &SharedContact) -> ();
});

pass_through!(TenantSettingsStore {
    fn get_settings(&self, tenant: &TenantId) -> TenantSettings;
    fn put_settings(&self, tenant: &TenantId, settings: &TenantSettings) -> ();
});

pass_through!(RecordActivation {
    fn record_activation(&self, tenant: &TenantId, user: &UserId, state: &ActivationState) -> ();
});

/// The activation publisher with faults (operation `publish`, key = the request ids).
pub struct FaultyPublisher<P> {
    pub inner: P,
    pub plan: Plan,
}

impl<P: PublishActivation + Sync> PublishActivation for FaultyPublisher<P> {
    async fn publish(&self, requests: &[ActivationRequest]) -> Result<(), PublishError> {
        let ids: Vec<&str> = requests.iter().map(|r| r.request_id.as_str()).collect();
        self.plan
            .check("publish", &ids.join(" "))
            .map_err(PublishError::all)?;
        self.inner.publish(requests).await
    }
}
