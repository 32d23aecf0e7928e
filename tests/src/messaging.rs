//! Reading what was published: an SQS queue subscribed to the activation topic (raw delivery),
//! so tests see the messages SNS really carried.

use aws_sdk_sqs::Client as Sqs;
use serde_json::Value;

pub struct TopicTap {
    sqs: Sqs,
    queue_url: String,
}

impl TopicTap {
    /// Subscribes a fresh queue to `ROSTER_TOPIC_ARN`.
    pub async fn subscribe() -> Self {
        let config = roster_aws::load_aws_config().await;
        let sqs = Sqs::new(&config);
        let sns = aws_sdk_sns::Client::new(&config);
        let name = format!("tap-{}", ulid::Ulid::new());
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        sns.subscribe()
            .topic_arn(
                std::env::var("ROSTER_TOPIC_ARN")
                    .expect("ROSTER_TOPIC_ARN: run through scripts/test"),
            )
            .protocol("sqs")
            .endpoint(arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .unwrap();
        Self { sqs, queue_url }
    }

    /// Every message waiting now, as JSON bodies.
    pub async fn drain(&self) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return all;
            }
            for m in messages {
                all.push(serde_json::from_str(m.body().unwrap_or("null")).unwrap());
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}
