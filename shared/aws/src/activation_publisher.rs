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
        .map_err(|e| PublishError(e.to_string()))
}

fn entry(
    index: usize,
    request: &ActivationRequest,
) -> Result<PublishBatchRequestEntry, PublishError> {
    let body = serde_json::to_string(request).map_err(|e| PublishError(e.to_string()))?;
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
        .map_err(|e| PublishError(e.to_string()))
}

impl PublishActivation for SnsActivationPublisher {
    async fn publish(&self, requests: &[ActivationRequest]) -> Result<(), PublishError> {
        for chunk in requests.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| entry(i, r))
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    PublishError(aws_sdk_sns::error::DisplayErrorContext(e).to_string())
                })?;
            if let Some(failed) = out.failed.as_ref().filter(|f| !f.is_empty()) {
                return Err(PublishError(format!(
                    "{} of {} activation requests were not published: {:?}",
                    failed.len(),
                    chunk.len(),
                    failed.iter().map(|f| f.code()).collect::<Vec<_>>()
                )));
            }
        }
        Ok(())
    }
}
