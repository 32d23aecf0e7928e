//! Sends activation codes by SMS and e-mail (SNS activation requests).
//!
//! Thin entry point. Its behaviour arrives with its issue; until then it fails every event
//! (so nothing is silently dropped: Lambda's retries and the dead-letter destination keep it).

use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn handler(event: LambdaEvent<SnsEvent>) -> Result<(), Error> {
    tracing::error!(records = event.payload.records.len(), "not implemented yet");
    Err("not implemented yet".into())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    roster_aws::telemetry::init();
    run(service_fn(handler)).await
}
