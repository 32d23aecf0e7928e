//! The import bucket over S3: streaming reads of pinned versions, reports, pre-signed links.

use std::collections::HashMap;
use std::io::Read;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use roster_domain::import::files::{ImportFiles, ObjectRef, StoredObject};

use crate::s3::{s3_client, s3_error};

#[derive(Clone, Debug)]
pub struct S3ImportFiles {
    client: Client,
    bucket: String,
}

impl S3ImportFiles {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket named by `ROSTER_IMPORT_BUCKET`.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        Ok(Self::new(
            s3_client(config),
            crate::required_env("ROSTER_IMPORT_BUCKET")?,
        ))
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }
}

impl S3ImportFiles {
    /// The object from byte `from` on (the whole of it from 0).
    async fn get(
        &self,
        object: ObjectRef<'_>,
        from: u64,
    ) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, String> {
        self.client
            .get_object()
            .bucket(&self.bucket)
            .key(object.key)
            .set_version_id(object.version.map(str::to_owned))
            .set_range((from > 0).then(|| format!("bytes={from}-")))
            .send()
            .await
            .map_err(s3_error)
    }
}

impl ImportFiles for S3ImportFiles {
    async fn head(&self, object: ObjectRef<'_>) -> Result<Option<StoredObject>, String> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(object.key)
            .set_version_id(object.version.map(str::to_owned))
            .send()
            .await
        {
            Ok(out) => Ok(Some(StoredObject {
                size: out.content_length().unwrap_or(0).max(0) as u64,
                version_id: out
                    .version_id()
                    .filter(|v| !v.is_empty() && *v != "null")
                    .map(str::to_owned),
                metadata: out
                    .metadata()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.to_lowercase(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_else(HashMap::new),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(s3_error(e)),
        }
    }

    async fn stream(
        &self,
        object: ObjectRef<'_>,
        from: u64,
    ) -> Result<Box<dyn Read + Send>, String> {
        let out = self.get(object, from).await?;
        Ok(Box::new(tokio_util::io::SyncIoBridge::new(
            out.body.into_async_read(),
        )))
    }

    async fn download(&self, object: ObjectRef<'_>) -> Result<Vec<u8>, String> {
        let out = self.get(object, 0).await?;
        let bytes = out.body.collect().await.map_err(|e| e.to_string())?;
        Ok(bytes.into_bytes().to_vec())
    }

    async fn delete(&self, keys: &[String]) -> Result<(), String> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        // DeleteObjects takes at most 1,000 keys per request.
        for batch in keys.chunks(1000) {
            let objects = batch
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| e.to_string())?;
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(s3_error)?;
            if let Some(e) = out.errors().first() {
                return Err(format!(
                    "{} objects could not be deleted (first: {:?})",
                    out.errors().len(),
                    e.code()
                ));
            }
        }
        Ok(())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), String> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(s3_error)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, String> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(s3_error)?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        keys.sort();
        Ok(keys)
    }

    async fn download_link(&self, key: &str) -> Result<String, String> {
        crate::s3::download_link(&self.client, &self.bucket, key).await
    }

    async fn upload_link(&self, key: &str) -> Result<String, String> {
        crate::s3::upload_link(&self.client, &self.bucket, key).await
    }
}
