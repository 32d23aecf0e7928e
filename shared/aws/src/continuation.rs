//! The continuation queue over SQS: a job that needs another invocation sends itself a
//! message, which triggers the worker again.

use roster_domain::ids::{ImportJobId, TenantId};
use roster_domain::import::files::ContinueJob;

/// The message that continues a job: `{"tenant_id", "job_id"}` on the continuation queue.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Continuation {
    pub tenant_id: TenantId,
    pub job_id: ImportJobId,
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

impl ContinueJob for SqsContinuation {
    async fn continue_job(&self, tenant: &TenantId, job: &ImportJobId) -> Result<(), String> {
        let body = serde_json::to_string(&Continuation {
            tenant_id: tenant.clone(),
            job_id: *job,
        })
        .map_err(|e| e.to_string())?;
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
