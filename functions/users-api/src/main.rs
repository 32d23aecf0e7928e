//! Wires the users API: clients built once per cold start, then one handler per request.

use lambda_http::{Error, run, service_fn};
use roster_aws::{DynamoStore, S3ExportStore, SnsActivationPublisher, s3_client};
use users_api::{App, DEFAULT_INLINE_EXPORT_BYTES, handle};

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    roster_aws::telemetry::init();
    let config = roster_aws::load_aws_config().await;
    let app = App {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), env("ROSTER_TABLE")?),
        publisher: SnsActivationPublisher::new(
            aws_sdk_sns::Client::new(&config),
            env("ROSTER_TOPIC_ARN")?,
        ),
        exports: S3ExportStore::new(s3_client(&config), env("ROSTER_IMPORT_BUCKET")?),
        inline_export_bytes: std::env::var("ROSTER_EXPORT_INLINE_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_INLINE_EXPORT_BYTES),
    };
    let app = &app;
    run(service_fn(move |request| async move {
        Ok::<_, Error>(handle(app, request).await)
    }))
    .await
}
