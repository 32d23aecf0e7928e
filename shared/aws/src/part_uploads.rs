//! Multipart uploads to the bucket: exports and error reports are written part by part as
//! they are produced. The bucket's lifecycle aborts uploads a crashed run left open.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use roster_domain::upload::{PartUploads, UploadedPart};

use crate::S3ImportFiles;
use crate::s3::s3_error;

/// Downloads (through pre-signed links) save the object under its own file name.
pub(crate) fn attachment(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key);
    format!("attachment; filename=\"{name}\"")
}

impl PartUploads for S3ImportFiles {
    async fn start_upload(&self, key: &str, content_type: &str) -> Result<String, String> {
        let started = self
            .client()
            .create_multipart_upload()
            .bucket(self.bucket())
            .key(key)
            .content_type(content_type)
            .content_disposition(attachment(key))
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
}
