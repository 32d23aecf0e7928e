//! Wires the activation sender: clients built once per cold start.

use activation_sender::{App, handle};
use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use roster_aws::{DynamoStore, SesEmail, SnsSms};
use roster_domain::activation::SenderConfig;

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    roster_aws::telemetry::init();
    let config = roster_aws::load_aws_config().await;
    let code_ttl_hours: i64 = std::env::var("ROSTER_CODE_TTL_HOURS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let app = App {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), env("ROSTER_TABLE")?),
        sms: SnsSms::new(&config),
        email: SesEmail::new(&config, env("ROSTER_EMAIL_FROM")?),
        config: SenderConfig {
            code_ttl: time::Duration::hours(code_ttl_hours),
            ..SenderConfig::default()
        },
    };
    let app = &app;
    run(service_fn(move |event: LambdaEvent<SnsEvent>| async move {
        handle(app, event.payload).await.map_err(Error::from)
    }))
    .await
}
