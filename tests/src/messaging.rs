//! Reading what was published: an SQS queue subscribed to the activation topic (raw delivery),
//! so tests see the messages SNS really carried.

use aws_sdk_sqs::Client as Sqs;
use serde_json::Value;

pub struct TopicTap {
    sqs: Sqs,
    queue_url: String,
}

/// A queue of one test's own (no other test reads or writes it).
async fn fresh_queue(sqs: &Sqs, prefix: &str) -> String {
    sqs.create_queue()
        .queue_name(format!("{prefix}-{}", ulid::Ulid::new()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

/// Every message waiting now on `queue_url`, as JSON bodies (deleted once read).
async fn drain_queue(sqs: &Sqs, queue_url: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
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
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// A continuation queue of one test's own: what a use case hands to the worker lands here,
/// and the test feeds it to the worker itself.
pub struct ContinuationTap {
    sqs: Sqs,
    pub queue_url: String,
}

impl ContinuationTap {
    pub async fn new() -> Self {
        let sqs = Sqs::new(&roster_aws::load_aws_config().await);
        let queue_url = fresh_queue(&sqs, "continuations").await;
        Self { sqs, queue_url }
    }

    /// The adapter that sends to this queue.
    pub fn continuation(&self) -> roster_aws::SqsContinuation {
        roster_aws::SqsContinuation::new(self.sqs.clone(), self.queue_url.clone())
    }

    /// Every message waiting now, as JSON bodies.
    pub async fn drain(&self) -> Vec<Value> {
        drain_queue(&self.sqs, &self.queue_url).await
    }
}

impl TopicTap {
    /// Subscribes a fresh queue to `ROSTER_TOPIC_ARN`.
    pub async fn subscribe() -> Self {
        let config = roster_aws::load_aws_config().await;
        let sqs = Sqs::new(&config);
        let sns = aws_sdk_sns::Client::new(&config);
        let queue_url = fresh_queue(&sqs, "tap").await;
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
        drain_queue(&self.sqs, &self.queue_url).await
    }
}
