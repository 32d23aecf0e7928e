//! Ports the import job needs besides storage: the import bucket and a way to continue a job
//! in a fresh invocation.

use std::collections::HashMap;
use std::future::Future;
use std::io::Read;

use crate::ids::{ImportJobId, TenantId};

/// How long a pre-signed link (upload or download) stays valid.
pub const UPLOAD_LINK_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// An uploaded object's size, version and user metadata (`x-amz-meta-*`, names lower-cased).
#[derive(Debug, Clone, Default)]
pub struct StoredObject {
    pub size: u64,
    /// The S3 version id (absent when the bucket does not keep versions).
    pub version_id: Option<String>,
    pub metadata: HashMap<String, String>,
}

/// One object of the bucket: its key and, when pinned, the version to read (else the latest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectRef<'a> {
    pub key: &'a str,
    pub version: Option<&'a str>,
}

impl<'a> ObjectRef<'a> {
    pub fn latest(key: &'a str) -> Self {
        Self { key, version: None }
    }

    pub fn pinned(key: &'a str, version: Option<&'a str>) -> Self {
        Self { key, version }
    }
}

/// The import bucket. Errors are text for logs and job records (no secrets in them). Reports
/// are written to it in parts.
pub trait ImportFiles: crate::upload::PartUploads + Sync {
    /// `None` when the object (or that version of it) does not exist.
    fn head(
        &self,
        object: ObjectRef<'_>,
    ) -> impl Future<Output = Result<Option<StoredObject>, String>> + Send;
    /// A blocking reader over the object from byte `from` on, for use on a blocking thread:
    /// the object is streamed, never held in memory.
    fn stream(
        &self,
        object: ObjectRef<'_>,
        from: u64,
    ) -> impl Future<Output = Result<Box<dyn Read + Send>, String>> + Send;
    fn download(
        &self,
        object: ObjectRef<'_>,
    ) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
    fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// Deletes these objects (absent ones are not an error).
    fn delete(&self, keys: &[String]) -> impl Future<Output = Result<(), String>> + Send;
    /// Keys under `prefix`, in key order.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, String>> + Send;
    /// A pre-signed GET link (15 minutes).
    fn download_link(&self, key: &str) -> impl Future<Output = Result<String, String>> + Send;
    /// A pre-signed PUT link (15 minutes).
    fn upload_link(&self, key: &str) -> impl Future<Output = Result<String, String>> + Send;
}

/// Continues a job in another invocation (a message on the continuation queue): the job
/// itself (`share: None`), or one share of a job split across workers.
pub trait ContinueJob: Sync {
    fn continue_job(
        &self,
        tenant: &TenantId,
        job: &ImportJobId,
        share: Option<u32>,
    ) -> impl Future<Output = Result<(), String>> + Send;
}
