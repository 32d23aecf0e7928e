//! The continuation queue over SQS: a job that needs another invocation sends itself a
//! message, which triggers the worker again. Import jobs and export jobs share the queue.

use roster_domain::ids::{ExportJobId, ImportJobId, TenantId};
use roster_domain::import::files::ContinueJob;
use roster_domain::use_cases::export_job::ContinueExport;

/// The message that continues a job: `{"tenant_id", "job_id"}` on the continuation queue,
/// with `"share"` for one share of a job split across workers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Continuation {
    pub tenant_id: TenantId,
    pub job_id: ImportJobId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<u32>,
}

/// The message that continues an export: `{"tenant_id", "export_id"}`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ExportContinuation {
    pub tenant_id: TenantId,
    pub export_id: ExportJobId,
}

/// What a message on the queue continues (told apart by `job_id` / `export_id`).
#[derive(Debug, Clone, serde::Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum QueueMessage {
    Import(Continuation),
    Export(ExportContinuation),
}

#[derive(Clone, Debug)]
pub struct SqsContinuation {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsContinuation {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The queue named by `ROSTER_IMPORT_QUEUE_URL`.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        Ok(Self::new(
            aws_sdk_sqs::Client::new(config),
            crate::required_env("ROSTER_IMPORT_QUEUE_URL")?,
        ))
    }
}

impl SqsContinuation {
    async fn send(&self, message: &impl serde::Serialize) -> Result<(), String> {
        let body = serde_json::to_string(message).map_err(|e| e.to_string())?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
    }
}

impl ContinueJob for SqsContinuation {
    async fn continue_job(
        &self,
        tenant: &TenantId,
        job: &ImportJobId,
        share: Option<u32>,
    ) -> Result<(), String> {
        self.send(&Continuation {
            tenant_id: tenant.clone(),
            job_id: *job,
            share,
        })
        .await
    }
}

impl ContinueExport for SqsContinuation {
    async fn continue_export(&self, tenant: &TenantId, id: &ExportJobId) -> Result<(), String> {
        self.send(&ExportContinuation {
            tenant_id: tenant.clone(),
            export_id: *id,
        })
        .await
    }
}
