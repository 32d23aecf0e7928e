//! The import worker: an object created under `imports/{tenant}/` becomes an import job, run
//! by `roster_domain::import::runner`; a job that needs more time than one invocation gets a
//! continuation message on the SQS queue, which triggers this function again.
//!
//! Idempotent: the job id of a dropped file is derived from bucket, key and version (or
//! sequencer), and the job is claimed with a conditional write, so an S3 event delivered
//! twice (or two racing deliveries) runs one job.

use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3EventRecord;
use roster_aws::QueueMessage;
use roster_domain::activation::PublishActivation;
use roster_domain::ids::{ExportJobId, ImportJobId, TenantId};
use roster_domain::import::files::{ContinueJob, ImportFiles};
use roster_domain::import::intake::{Holder, Intake, UploadedObject, accept_upload};
use roster_domain::import::runner::{ImportConfig, ImportError, ImportStore, Importer, RunOutcome};
use roster_domain::import::sweep::sweep_jobs;
use roster_domain::use_cases::export_job::{
    ContinueExport, ExportConfig, ExportFiles, ExportStep, Exporter,
};
use serde_json::Value;

/// Time kept in hand at the end of an invocation to checkpoint and hand over.
pub const HAND_OVER_MARGIN: Duration = Duration::from_secs(60);

/// When an invocation with `left` until its deadline hands over: a minute before it, or a
/// quarter of the time when less is given (a local runtime's short default deadline must not
/// make every chunk its own invocation).
pub fn hand_over_after(left: Duration) -> Duration {
    left.saturating_sub(HAND_OVER_MARGIN.min(left / 4))
}

/// The worker's timeout in the template (`ImportWorkerFunction.Timeout`).
pub const TIMEOUT: Duration = Duration::from_secs(900);

/// The continuation queue's `maxReceiveCount` (infra/template.yaml, tested): the delivery
/// after which a failing message goes to the dead letters.
pub const CONTINUATION_RECEIVES: u32 = 5;

/// Time left in an invocation whose runtime gave `deadline_ms` (Unix ms) at `now_ms`.
/// Lambda's deadline always lies ahead. `cargo lambda watch` sends the constant 600,000 (ten
/// minutes after the epoch, not a time), which read as "none left" and made the local worker
/// hand over after every chunk; a deadline already behind is such a runtime's, so the
/// invocation gets the template's timeout instead.
pub fn time_left(deadline_ms: u64, now_ms: u64) -> Duration {
    if deadline_ms <= now_ms {
        return TIMEOUT;
    }
    Duration::from_millis(deadline_ms - now_ms).min(TIMEOUT)
}

pub struct Worker<S, F, P, C> {
    pub store: S,
    pub files: F,
    pub publisher: P,
    pub continuation: C,
    pub config: ImportConfig,
    /// How export jobs handed over by the users API are written.
    pub export: ExportConfig,
}

pub use roster_domain::import::intake::job_id_for;
use roster_domain::object_keys::decode_event_key;

impl<S, F, P, C> Worker<S, F, P, C>
where
    S: ImportStore,
    F: ImportFiles + ExportFiles,
    P: PublishActivation + Sync,
    C: ContinueJob + ContinueExport,
{
    /// Handles an S3 event or an SQS continuation event.
    pub async fn handle(&self, event: Value, hand_over_at: Option<Instant>) -> Result<(), String> {
        if is_scheduled(&event) {
            return self.sweep().await;
        }
        let config = self.config.for_invocation(hand_over_at);
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
                    let receives = record["attributes"]["ApproximateReceiveCount"]
                        .as_str()
                        .and_then(|n| n.parse::<u32>().ok())
                        .unwrap_or(1);
                    let last = receives >= CONTINUATION_RECEIVES;
                    let body = record["body"].as_str().unwrap_or_default();
                    self.on_continuation(body, &config, last).await
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

    /// `last`: the queue's final delivery of this message (the next failure sends it to the
    /// dead letters).
    async fn on_continuation(
        &self,
        body: &str,
        config: &ImportConfig,
        last: bool,
    ) -> Result<(), String> {
        match serde_json::from_str::<QueueMessage>(body) {
            Ok(QueueMessage::Import(c)) => self.run(&c.tenant_id, &c.job_id, c.share, config).await,
            Ok(QueueMessage::Export(c)) => {
                let outcome = self.export(&c.tenant_id, &c.export_id, config).await;
                match outcome {
                    // Nothing would finish the export after this: it says so instead of
                    // showing `running` until it expires (imports have the sweep).
                    Err(e) if last => {
                        tracing::error!(export_id = %c.export_id, error = %e, "export abandoned after its last delivery");
                        self.exporter()
                            .abandon(&c.tenant_id, &c.export_id)
                            .await
                            .map_err(|e| e.to_string())
                    }
                    outcome => outcome,
                }
            }
            Err(_) => {
                tracing::warn!("malformed continuation ignored");
                Ok(())
            }
        }
    }

    fn exporter(&self) -> Exporter<'_, S, F, C> {
        Exporter {
            store: &self.store,
            files: &self.files,
            continuation: &self.continuation,
            config: self.export,
        }
    }

    /// Goes on with an export that outgrew its API request.
    async fn export(
        &self,
        tenant: &TenantId,
        id: &ExportJobId,
        config: &ImportConfig,
    ) -> Result<(), String> {
        let exporter = self.exporter();
        // An export reads and writes sequentially: one invocation outlasts most of them.
        let hand_over_at = config
            .hand_over_at
            .unwrap_or_else(|| Instant::now() + TIMEOUT);
        match exporter
            .resume(tenant, id, hand_over_at)
            .await
            .map_err(|e| e.to_string())?
        {
            ExportStep::Completed(job) => tracing::info!(
                export_id = %id,
                status = ?job.status,
                rows = job.rows,
                "export done"
            ),
            ExportStep::Continued(job) => {
                tracing::info!(export_id = %id, rows = job.rows, "export continues")
            }
            ExportStep::Skipped(why) => {
                tracing::info!(export_id = %id, reason = why, "nothing to do")
            }
            ExportStep::Inline(_) => {}
        }
        Ok(())
    }

    async fn on_upload(&self, record: &S3EventRecord, config: &ImportConfig) -> Result<(), String> {
        let object = &record.s3.object;
        let upload = UploadedObject {
            bucket: record.s3.bucket.name.clone().unwrap_or_default(),
            key: decode_event_key(object.key.as_deref().unwrap_or_default()),
            version_id: object.version_id.clone().filter(|v| !v.is_empty()),
            sequencer: object.sequencer.clone(),
            event_time_ms: record.event_time.timestamp_millis().max(0) as u64,
            principal: record.principal_id.principal_id.clone(),
        };
        let holder = Holder {
            owner: &config.invocation,
            lease_ms: config.lease.as_millis() as i64,
        };
        match accept_upload(&self.store, &self.files, &upload, holder)
            .await
            .map_err(|e| e.to_string())?
        {
            Intake::Run(job) => self.report(
                &job.id.clone(),
                self.importer(config).run_claimed(*job).await,
            ),
            Intake::Resume(tenant, id) => {
                tracing::info!(job_id = %id, "a redelivered upload resumes its job");
                self.run(&tenant, &id, None, config).await
            }
            Intake::Ignored(why) => {
                tracing::info!(key = %upload.key, reason = %why, "object ignored");
                Ok(())
            }
        }
    }

    /// The scheduled sweep: resumes jobs whose worker died, expires uploads that never came.
    async fn sweep(&self) -> Result<(), String> {
        let swept = sweep_jobs(
            &self.store,
            &self.continuation,
            roster_domain::import::job::now_ms(),
        )
        .await
        .map_err(|e| e.to_string())?;
        tracing::info!(
            resumed = swept.resumed,
            expired = swept.expired,
            "import sweep done"
        );
        Ok(())
    }

    fn importer<'a>(&'a self, config: &'a ImportConfig) -> Importer<'a, S, F, P, C> {
        Importer {
            store: &self.store,
            files: &self.files,
            publisher: &self.publisher,
            continuation: &self.continuation,
            config,
        }
    }

    async fn run(
        &self,
        tenant: &TenantId,
        id: &ImportJobId,
        share: Option<u32>,
        config: &ImportConfig,
    ) -> Result<(), String> {
        self.report(id, self.importer(config).run(tenant, id, share).await)
    }

    /// Logs how the run ended; an error makes the invocation fail so that it is retried.
    fn report(
        &self,
        id: &ImportJobId,
        outcome: Result<RunOutcome, ImportError>,
    ) -> Result<(), String> {
        match outcome {
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

/// An EventBridge schedule's event (`"source": "aws.events"`), which starts a sweep.
fn is_scheduled(event: &Value) -> bool {
    event["source"].as_str() == Some("aws.events")
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
    /// `ROSTER_IMPORT_QUEUE_URL`; `ROSTER_IMPORT_WORKERS_PER_JOB` (default 1) splits large
    /// jobs across that many workers.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        let workers_per_job = match std::env::var("ROSTER_IMPORT_WORKERS_PER_JOB") {
            Ok(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or("ROSTER_IMPORT_WORKERS_PER_JOB must be a whole number of at least 1")?,
            Err(_) => 1,
        };
        Ok(Self {
            store: roster_aws::DynamoStore::from_environment(config)?,
            files: roster_aws::S3ImportFiles::from_environment(config)?,
            publisher: roster_aws::SnsActivationPublisher::from_environment(config)?,
            continuation: roster_aws::SqsContinuation::from_environment(config)?,
            config: ImportConfig {
                workers_per_job,
                ..ImportConfig::default()
            },
            export: ExportConfig::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_is_kept_in_hand_or_a_quarter_of_a_short_budget() {
        let secs = |s| Duration::from_secs(s);
        assert_eq!(hand_over_after(secs(900)), secs(840));
        assert_eq!(hand_over_after(secs(120)), secs(90));
        assert_eq!(hand_over_after(secs(30)), Duration::from_millis(22_500));
        assert_eq!(hand_over_after(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_deadline_ahead_is_kept_and_one_behind_is_a_local_runtime_without_one() {
        let now = 1_780_000_000_000;
        assert_eq!(
            time_left(now + 899_500, now),
            Duration::from_millis(899_500)
        );
        assert_eq!(time_left(now + 1, now), Duration::from_millis(1));
        // cargo lambda watch's constant, and a deadline that is exactly now.
        assert_eq!(time_left(600_000, now), TIMEOUT);
        assert_eq!(time_left(now, now), TIMEOUT);
        assert_eq!(
            hand_over_after(time_left(600_000, now)),
            Duration::from_secs(840)
        );
    }
}
