//! Large CSV exports go to the import bucket under `exports/{tenant}/` and are handed out as a
//! pre-signed GET link valid for 15 minutes.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use roster_domain::export::ExportStore;
use roster_domain::ids::TenantId;

pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug)]
pub struct S3ExportStore {
    client: Client,
    bucket: String,
}

impl S3ExportStore {
    /// Exports go to the bucket named by `ROSTER_IMPORT_BUCKET`.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        Ok(Self::new(
            s3_client(config),
            crate::required_env("ROSTER_IMPORT_BUCKET")?,
        ))
    }

    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

/// An S3 client for the emulator or AWS: path-style addressing works with both.
pub fn s3_client(config: &aws_config::SdkConfig) -> Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    Client::from_conf(s3_config)
}

impl ExportStore for S3ExportStore {
    async fn store_export(&self, tenant: &TenantId, csv: Vec<u8>) -> Result<String, String> {
        let key = roster_domain::object_keys::export(tenant, &ulid::Ulid::new().to_string());
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("text/csv; charset=utf-8")
            .content_disposition("attachment; filename=\"users.csv\"")
            .body(ByteStream::from(csv))
            .send()
            .await
            .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())?;
        let get = self.client.get_object().bucket(&self.bucket).key(&key);
        let request = get
            .presigned(crate::import_bucket::link_config()?)
            .await
            .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())?;
        Ok(request.uri().to_owned())
    }
}
