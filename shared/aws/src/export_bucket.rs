//! Large CSV exports go to the import bucket under `exports/{tenant}/` and are handed out as a
//! pre-signed GET link valid for 15 minutes.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use roster_domain::ids::TenantId;
use roster_domain::use_cases::export::ExportStore;

use crate::s3::{Bucket, s3_error};

#[derive(Clone, Debug)]
pub struct S3ExportStore {
    bucket: Bucket,
}

impl S3ExportStore {
    /// Objects go to the bucket named by `ROSTER_IMPORT_BUCKET`.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        Ok(Self {
            bucket: Bucket::from_environment(config)?,
        })
    }

    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            bucket: Bucket {
                client,
                name: bucket.into(),
            },
        }
    }
}

impl ExportStore for S3ExportStore {
    async fn store_export(&self, tenant: &TenantId, csv: Vec<u8>) -> Result<String, String> {
        let key = roster_domain::object_keys::export(tenant, &ulid::Ulid::new().to_string());
        self.bucket
            .client
            .put_object()
            .bucket(&self.bucket.name)
            .key(&key)
            .content_type("text/csv; charset=utf-8")
            .content_disposition("attachment; filename=\"users.csv\"")
            .body(ByteStream::from(csv))
            .send()
            .await
            .map_err(s3_error)?;
        crate::s3::download_link(&self.bucket.client, &self.bucket.name, &key).await
    }
}
