//! Ports the import job needs besides storage: the import bucket and a way to continue a job
//! in a fresh invocation.

use std::collections::HashMap;
use std::future::Future;
use std::io::Read;

use crate::ids::{ImportJobId, TenantId};

/// An uploaded object's size and user metadata (`x-amz-meta-*`, names lower-cased).
#[derive(Debug, Clone, Default)]
pub struct StoredObject {
    pub size: u64,
    pub metadata: HashMap<String, String>,
}

/// The import bucket. Errors are text for logs and job records (no secrets in them).
pub trait ImportFiles: Sync {
    fn head(&self, key: &str) -> impl Future<Output = Result<Option<StoredObject>, String>> + Send;
    /// A blocking reader over the object, for use on a blocking thread: the object is streamed,
    /// never held in memory.
    fn stream(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Box<dyn Read + Send>, String>> + Send;
    fn download(&self, key: &str) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
    fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// Keys under `prefix`, in key order.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, String>> + Send;
    /// A pre-signed GET link (15 minutes).
    fn download_link(&self, key: &str) -> impl Future<Output = Result<String, String>> + Send;
    /// A pre-signed PUT link (15 minutes).
    fn upload_link(&self, key: &str) -> impl Future<Output = Result<String, String>> + Send;
}

/// Continues a job in another invocation (a message on the continuation queue).
pub trait ContinueJob: Sync {
    fn continue_job(
        &self,
        tenant: &TenantId,
        job: &ImportJobId,
    ) -> impl Future<Output = Result<(), String>> + Send;
}
