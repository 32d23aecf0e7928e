//! Fault injection for the worker's ports: a wrapper that fails (or reports a timeout on) one
//! chosen call of one operation, the way a real S3 or SQS error would, and passes every other
//! call to the real adapter. Tests then make the retry or duplicate delivery that Lambda, SQS
//! or SNS would make, and check that nothing was lost or done twice.

use std::io::Read;
use std::sync::Mutex;

use roster_domain::ids::{ImportJobId, TenantId};
use roster_domain::import::files::{ContinueJob, ImportFiles, ObjectRef, StoredObject};

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
        for (fault, seen) in faults.iter_mut() {
            if fault.operation == operation && key.contains(&fault.key_part) {
                *seen += 1;
                if *seen == fault.nth {
                    let what = format!("{operation} {key} (injected fault)");
                    self.fired.lock().unwrap().push(what.clone());
                    return Err(what);
                }
            }
        }
        Ok(())
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
