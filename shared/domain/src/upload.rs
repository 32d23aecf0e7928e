//! Objects written in parts (S3 multipart uploads): exports and error reports go to the bucket
//! as they are produced, so none is ever held whole, however many rows it has.

use std::future::Future;

use serde::{Deserialize, Serialize};

/// S3 refuses multipart parts below 5 MiB (except the last).
pub const MIN_PART_BYTES: usize = 5 * 1024 * 1024;

/// The part size exports and reports are written in: what a writer buffers at most.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// A part of an upload, as S3 acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedPart {
    pub number: i32,
    pub etag: String,
}

/// Multipart uploads to the bucket. Errors are text for logs (no secrets in them).
pub trait PartUploads: Sync {
    /// Starts an upload of `key` (downloaded as an attachment of this content type); its id.
    fn start_upload(
        &self,
        key: &str,
        content_type: &str,
    ) -> impl Future<Output = Result<String, String>> + Send;
    /// Uploads part `number` (from 1); its ETag.
    fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<String, String>> + Send;
    /// Joins the parts, in order, into the object.
    fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> impl Future<Output = Result<(), String>> + Send;
}
