//! The import worker: an object created under `imports/{tenant}/` becomes an import job, run
//! by `roster_domain::import::runner`; a job that needs more time than one invocation gets a
//! continuation message on the SQS queue, which triggers this function again.
//!
//! Idempotent: the job id of a dropped file is derived from bucket, key and version (or
//! sequencer), and the job is claimed with a conditional write, so an S3 event delivered
//! twice (or two racing deliveries) runs one job.

use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3EventRecord;
use roster_aws::Continuation;
use roster_domain::activation::PublishActivation;
use roster_domain::ids::{Actor, ImportJobId, TenantId};
use roster_domain::import::files::{ContinueJob, ImportFiles};
use roster_domain::import::runner::{ImportConfig, ImportStore, RunOutcome, run_job};
use roster_domain::import_job::{ImportCounts, ImportJob, ImportMode, ImportStatus};
use roster_domain::store::StoreError;
use serde_json::Value;

/// Time kept in hand at the end of an invocation to checkpoint and hand over.
pub const HAND_OVER_MARGIN: Duration = Duration::from_secs(60);

pub struct Worker<S, F, P, C> {
    pub store: S,
    pub files: F,
    pub publisher: P,
    pub continuation: C,
    pub config: ImportConfig,
}

/// S3 event keys are URL-encoded, with `+` for spaces.
pub fn decode_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// FNV-1a: a stable hash, so redeliveries derive the same job id in any release.
fn fnv(seed: u64, text: &str) -> u64 {
    text.bytes().fold(seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The job id of a dropped object: the same for every delivery of the same upload.
pub fn job_id_for(bucket: &str, key: &str, version: &str, event_time_ms: u64) -> ImportJobId {
    let identity = format!("{bucket}\n{key}\n{version}");
    let random = (u128::from(fnv(0xcbf2_9ce4_8422_2325, &identity)) << 64)
        | u128::from(fnv(0x8422_2325_cbf2_9ce4, &identity));
    let ulid = ulid::Ulid::from_parts(event_time_ms, random);
    ImportJobId::parse(&ulid.to_string()).expect("a ULID is a job id")
}

/// Where an object under `imports/` belongs.
#[derive(Debug, PartialEq, Eq)]
pub enum Upload {
    /// `imports/{tenant}/{job}/{file}`: the file of a job created through the API.
    ForJob {
        tenant: TenantId,
        job: ImportJobId,
        file_name: String,
    },
    /// `imports/{tenant}/{file}`: a file dropped straight into the bucket.
    Dropped { tenant: TenantId, file_name: String },
}

pub fn classify_key(key: &str) -> Result<Upload, String> {
    let rest = key
        .strip_prefix("imports/")
        .ok_or("the object is outside the imports/ prefix")?;
    let (tenant, rest) = rest
        .split_once('/')
        .ok_or("the object is not inside a tenant folder")?;
    let tenant =
        TenantId::parse(tenant).map_err(|e| format!("the folder is not a tenant id: {}", e.0))?;
    if rest.is_empty() || rest.ends_with('/') {
        return Err("the object is a folder".into());
    }
    if let Some((job, file)) = rest.split_once('/')
        && let Ok(job) = ImportJobId::parse(job)
        && !file.is_empty()
    {
        return Ok(Upload::ForJob {
            tenant,
            job,
            file_name: file.rsplit('/').next().unwrap_or(file).to_owned(),
        });
    }
    let file_name = rest.rsplit('/').next().unwrap_or(rest).to_owned();
    Ok(Upload::Dropped { tenant, file_name })
}

impl<S, F, P, C> Worker<S, F, P, C>
where
    S: ImportStore,
    F: ImportFiles,
    P: PublishActivation + Sync,
    C: ContinueJob,
{
    /// Handles an S3 event or an SQS continuation event.
    pub async fn handle(&self, event: Value, hand_over_at: Option<Instant>) -> Result<(), String> {
        let config = ImportConfig {
            hand_over_at: hand_over_at.or(self.config.hand_over_at),
            ..self.config.clone()
        };
        let records = event["Records"].as_array().cloned().unwrap_or_default();
        let mut retry = Vec::new();
        for record in records {
            let result = match record["eventSource"]
                .as_str()
                .or(record["EventSource"].as_str())
            {
                Some("aws:s3") => match serde_json::from_value::<S3EventRecord>(record.clone()) {
                    Ok(r) => self.on_upload(&r, &config).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "malformed S3 record ignored");
                        Ok(())
                    }
                },
                Some("aws:sqs") => {
                    self.on_continuation(record["body"].as_str().unwrap_or_default(), &config)
                        .await
                }
                other => {
                    tracing::warn!(source = ?other, "event of an unknown source ignored");
                    Ok(())
                }
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "import will be retried");
                retry.push(e);
            }
        }
        if retry.is_empty() {
            Ok(())
        } else {
            Err(retry.join("; "))
        }
    }

    async fn on_continuation(&self, body: &str, config: &ImportConfig) -> Result<(), String> {
        let Ok(c) = serde_json::from_str::<Continuation>(body) else {
            tracing::warn!("malformed continuation ignored");
            return Ok(());
        };
        self.run(&c.tenant_id, &c.job_id, config).await
    }

    async fn on_upload(&self, record: &S3EventRecord, config: &ImportConfig) -> Result<(), String> {
        let bucket = record.s3.bucket.name.clone().unwrap_or_default();
        let key = decode_key(record.s3.object.key.as_deref().unwrap_or_default());
        let upload = match classify_key(&key) {
            Ok(u) => u,
            Err(why) => {
                tracing::info!(%key, reason = %why, "object ignored");
                return Ok(());
            }
        };
        let (tenant, id) = match upload {
            Upload::ForJob { tenant, job, .. } => {
                let Some(mut existing) = self
                    .store
                    .get_job(&tenant, &job)
                    .await
                    .map_err(|e| e.to_string())?
                else {
                    tracing::warn!(%key, "upload for an unknown job ignored");
                    return Ok(());
                };
                if existing.status != ImportStatus::Uploading || existing.object_key != key {
                    tracing::info!(job_id = %job, "duplicate upload event ignored");
                    return Ok(());
                }
                let expected = existing.version;
                existing.status = ImportStatus::Queued;
                existing.version += 1;
                match self.store.save_job(expected, &existing).await {
                    Ok(()) => {}
                    Err(StoreError::VersionMismatch) => {
                        tracing::info!(job_id = %job, "another delivery claimed the job");
                        return Ok(());
                    }
                    Err(e) => return Err(e.to_string()),
                }
                (tenant, job)
            }
            Upload::Dropped { tenant, file_name } => {
                let version = record
                    .s3
                    .object
                    .version_id
                    .clone()
                    .or_else(|| record.s3.object.sequencer.clone())
                    .unwrap_or_default();
                let at = record.event_time.timestamp_millis().max(0) as u64;
                let id = job_id_for(&bucket, &key, &version, at);
                let object = self.files.head(&key).await?;
                let Some(object) = object else {
                    tracing::warn!(%key, "the dropped object is gone");
                    return Ok(());
                };
                let mode = object
                    .metadata
                    .get("mode")
                    .and_then(|m| ImportMode::parse(m))
                    .unwrap_or_default();
                let uploaded_by = object
                    .metadata
                    .get("uploaded-by")
                    .cloned()
                    .or_else(|| record.principal_id.principal_id.clone())
                    .unwrap_or_else(|| "s3".to_owned());
                let job = ImportJob {
                    id,
                    tenant_id: tenant.clone(),
                    file_name,
                    mode,
                    status: ImportStatus::Queued,
                    uploaded_at: time::OffsetDateTime::from_unix_timestamp_nanos(
                        i128::from(at) * 1_000_000,
                    )
                    .unwrap_or_else(|_| time::OffsetDateTime::now_utc()),
                    uploaded_by: Actor::new(uploaded_by),
                    progress: 0,
                    counts: ImportCounts::default(),
                    warnings: vec![],
                    error: None,
                    object_key: key.clone(),
                    next_row: 0,
                    version: 0,
                    report_key: None,
                    csv_delimiter: None,
                };
                match self.store.create_job(&job).await {
                    Ok(()) => {}
                    Err(StoreError::AlreadyExists) => {
                        tracing::info!(job_id = %id, "duplicate S3 event: the job exists");
                        return Ok(());
                    }
                    Err(e) => return Err(e.to_string()),
                }
                tracing::info!(job_id = %id, %key, "import job created from a dropped file");
                (tenant, id)
            }
        };
        self.run(&tenant, &id, config).await
    }

    async fn run(
        &self,
        tenant: &TenantId,
        id: &ImportJobId,
        config: &ImportConfig,
    ) -> Result<(), String> {
        match run_job(
            &self.store,
            &self.files,
            &self.publisher,
            &self.continuation,
            config,
            tenant,
            id,
        )
        .await
        {
            Ok(RunOutcome::Finished(status)) => {
                tracing::info!(job_id = %id, status = status.as_str(), "import done")
            }
            Ok(RunOutcome::Continued) => tracing::info!(job_id = %id, "import continues"),
            Ok(RunOutcome::Skipped(why)) => {
                tracing::info!(job_id = %id, reason = why, "nothing to do")
            }
            Err(e) => return Err(e.to_string()),
        }
        Ok(())
    }
}

impl
    Worker<
        roster_aws::DynamoStore,
        roster_aws::S3ImportFiles,
        roster_aws::SnsActivationPublisher,
        roster_aws::SqsContinuation,
    >
{
    /// The real adapters, from `ROSTER_TABLE`, `ROSTER_IMPORT_BUCKET`, `ROSTER_TOPIC_ARN`,
    /// `ROSTER_IMPORT_QUEUE_URL`.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        Ok(Self {
            store: roster_aws::DynamoStore::from_environment(config)?,
            files: roster_aws::S3ImportFiles::from_environment(config)?,
            publisher: roster_aws::SnsActivationPublisher::from_environment(config)?,
            continuation: roster_aws::SqsContinuation::from_environment(config)?,
            config: ImportConfig::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_decoded_like_s3_encodes_them() {
        assert_eq!(
            decode_key("imports/acme/My+Users+%282026%29.csv"),
            "imports/acme/My Users (2026).csv"
        );
        assert_eq!(
            decode_key("imports/acme/Z%C3%BCrich.xlsx"),
            "imports/acme/Zürich.xlsx"
        );
        assert_eq!(decode_key("100%25.csv"), "100%.csv");
    }

    #[test]
    fn keys_are_classified() {
        assert!(matches!(
            classify_key("imports/acme/users.csv"),
            Ok(Upload::Dropped { .. })
        ));
        let job = ImportJobId::generate();
        assert_eq!(
            classify_key(&format!("imports/acme/{job}/users.xlsx")).unwrap(),
            Upload::ForJob {
                tenant: TenantId::parse("acme").unwrap(),
                job,
                file_name: "users.xlsx".into()
            }
        );
        assert!(classify_key("reports/acme/x.csv").is_err());
        assert!(classify_key("imports/a#b/x.csv").is_err());
        assert!(classify_key("imports/acme/").is_err());
    }

    #[test]
    fn redeliveries_derive_the_same_job() {
        let a = job_id_for("b", "imports/acme/x.csv", "v1", 1_795_000_000_000);
        assert_eq!(
            a,
            job_id_for("b", "imports/acme/x.csv", "v1", 1_795_000_000_000)
        );
        assert_ne!(
            a,
            job_id_for("b", "imports/acme/x.csv", "v2", 1_795_000_000_000)
        );
    }
}
