//! Fault injection for the worker's and the activation sender's ports: a wrapper that fails (or reports a timeout on) one
//! chosen call of one operation, the way a real S3 or SQS error would, and passes every other
//! call to the real adapter. Tests then make the retry or duplicate delivery that Lambda, SQS
//! or SNS would make, and check that nothing was lost or done twice.

use std::io::Read;
use std::sync::Mutex;

use roster_domain::activation::{
    ActivationCode, ActivationRequestLog, ActivationState, Channel, Claim, DeliveryError,
    RecordActivation, SendEmail, SendSms,
};
use roster_domain::ids::{ImportJobId, TenantId, UserId};
use roster_domain::import::files::{ContinueJob, ImportFiles, ObjectRef, StoredObject};
use roster_domain::store::{
    ActivationCodeStore, GetUser, StoreError, StoreResult, TenantSettingsStore,
};
use roster_domain::tenant::TenantSettings;
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

    async fn stream(&self, object: ObjectRef<'_>) -> Result<Box<dyn Read + Send>, String> {
        self.plan.check("stream", object.key)?;
        self.inner.stream(object).await
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

/// The continuation queue with faults (operation `continue`, key = the job id).
pub struct FaultyContinuation<C> {
    pub inner: C,
    pub plan: Plan,
}

impl<C: ContinueJob> ContinueJob for FaultyContinuation<C> {
    async fn continue_job(&self, tenant: &TenantId, job: &ImportJobId) -> Result<(), String> {
        self.plan.check("continue", &job.to_string())?;
        self.inner.continue_job(tenant, job).await
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
