//! Exports in the import bucket, under `exports/{tenant}/`: one object per export, written
//! whole or (`part_uploads`) in parts, handed out as a pre-signed GET link valid for 15 minutes.
//! The bucket's lifecycle expires exports after a day and aborts uploads a crashed job left.

use aws_sdk_s3::primitives::ByteStream;
use roster_domain::use_cases::export_job::ExportFiles;

use crate::S3ImportFiles;
use crate::part_uploads::attachment;
use crate::s3::s3_error;

const CSV: &str = "text/csv; charset=utf-8";

impl ExportFiles for S3ImportFiles {
    async fn put_export(&self, key: &str, bytes: Vec<u8>) -> Result<(), String> {
        self.client()
            .put_object()
            .bucket(self.bucket())
            .key(key)
            .content_type(CSV)
            .content_disposition(attachment(key))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(s3_error)
    }

    async fn export_link(&self, key: &str) -> Result<String, String> {
        crate::s3::download_link(self.client(), self.bucket(), key).await
    }
}
