//! Exports in the import bucket, under `exports/{tenant}/`: one object per export, written
//! whole or by multipart upload, handed out as a pre-signed GET link valid for 15 minutes.
//! The bucket's lifecycle expires exports after a day and aborts uploads a crashed job left.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use roster_domain::use_cases::export_job::{ExportFiles, UploadedPart};

use crate::S3ImportFiles;
use crate::s3::s3_error;

const CSV: &str = "text/csv; charset=utf-8";
const ATTACHMENT: &str = "attachment; filename=\"users.csv\"";

impl ExportFiles for S3ImportFiles {
    async fn start_upload(&self, key: &str) -> Result<String, String> {
        let started = self
            .client()
            .create_multipart_upload()
            .bucket(self.bucket())
            .key(key)
            .content_type(CSV)
            .content_disposition(ATTACHMENT)
            .send()
            .await
            .map_err(s3_error)?;
        started
            .upload_id
            .ok_or_else(|| "S3 started an upload without an id".to_owned())
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        bytes: Vec<u8>,
    ) -> Result<String, String> {
        let part = self
            .client()
            .upload_part()
            .bucket(self.bucket())
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(s3_error)?;
        part.e_tag
            .ok_or_else(|| format!("S3 took part {number} without an ETag"))
    }

    async fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> Result<(), String> {
        let parts = parts
            .iter()
            .map(|p| {
                CompletedPart::builder()
                    .part_number(p.number)
                    .e_tag(&p.etag)
                    .build()
            })
            .collect();
        self.client()
            .complete_multipart_upload()
            .bucket(self.bucket())
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(s3_error)
    }

    async fn put_export(&self, key: &str, bytes: Vec<u8>) -> Result<(), String> {
        self.client()
            .put_object()
            .bucket(self.bucket())
            .key(key)
            .content_type(CSV)
            .content_disposition(ATTACHMENT)
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
