//! Publishes activation requests on the SNS topic, up to ten per `PublishBatch` call.

use aws_sdk_sns::Client;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use roster_domain::activation::{ActivationRequest, PublishActivation, PublishError};

#[derive(Clone, Debug)]
pub struct SnsActivationPublisher {
    client: Client,
    topic_arn: String,
}

impl SnsActivationPublisher {
    /// The topic named by `ROSTER_TOPIC_ARN`.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        Ok(Self::new(
            Client::new(config),
            crate::required_env("ROSTER_TOPIC_ARN")?,
        ))
    }

    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

fn attribute(data_type: &str, value: String) -> Result<MessageAttributeValue, PublishError> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(|e| PublishError::all(e.to_string()))
}

fn entry(
    index: usize,
    request: &ActivationRequest,
) -> Result<PublishBatchRequestEntry, PublishError> {
    let body = serde_json::to_string(request).map_err(|e| PublishError::all(e.to_string()))?;
    PublishBatchRequestEntry::builder()
        .id(index.to_string())
        .message(body)
        .message_attributes(
            "schema_version",
            attribute("Number", request.schema_version.to_string())?,
        )
        .message_attributes(
            "reason",
            attribute("String", request.reason.as_str().to_owned())?,
        )
        .message_attributes(
            "tenant_id",
            attribute("String", request.tenant_id.to_string())?,
        )
        .build()
        .map_err(|e| PublishError::all(e.to_string()))
}

/// Tries of one batch: the first, then retries of the entries SNS failed on its side.
const TRIES: u32 = 3;

impl SnsActivationPublisher {
    /// Publishes up to ten requests; the ids SNS refused for good, after retrying the
    /// entries that failed on its side (throttling, internal errors) with backoff.
    async fn publish_chunk(
        &self,
        chunk: &[ActivationRequest],
    ) -> Result<Vec<String>, PublishError> {
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        let mut refused = Vec::new();
        for attempt in 1..=TRIES {
            let entries = pending
                .iter()
                .map(|i| entry(*i, &chunk[*i]))
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    PublishError::all(aws_sdk_sns::error::DisplayErrorContext(e).to_string())
                })?;
            let mut retry = Vec::new();
            for failed in out.failed.unwrap_or_default() {
                let Ok(index) = failed.id.parse::<usize>() else {
                    continue;
                };
                let request = &chunk[index.min(chunk.len() - 1)].request_id;
                if failed.sender_fault || attempt == TRIES {
                    tracing::warn!(request_id = %request, code = %failed.code, "activation request not published");
                    refused.push(request.clone());
                } else {
                    retry.push(index);
                }
            }
            if retry.is_empty() {
                return Ok(refused);
            }
            pending = retry;
            tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
        }
        Ok(refused)
    }
}

impl PublishActivation for SnsActivationPublisher {
    /// Every chunk is tried, even after one fails, so one bad entry does not drop the rest.
    async fn publish(&self, requests: &[ActivationRequest]) -> Result<(), PublishError> {
        let mut refused = Vec::new();
        let mut error = None;
        for chunk in requests.chunks(10) {
            match self.publish_chunk(chunk).await {
                Ok(ids) => refused.extend(ids),
                Err(e) => {
                    refused.extend(chunk.iter().map(|r| r.request_id.clone()));
                    error = Some(e);
                }
            }
        }
        if refused.is_empty() {
            return Ok(());
        }
        Err(PublishError {
            message: format!(
                "{} of {} activation requests were not published{}",
                refused.len(),
                requests.len(),
                error.map(|e| format!(": {e}")).unwrap_or_default()
            ),
            refused,
        })
    }
}
