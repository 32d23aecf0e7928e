//! Wires the public device-activation endpoint.

use device_activation::handle;
use lambda_http::{Error, run, service_fn};
use roster_aws::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    roster_aws::telemetry::init();
    let config = roster_aws::load_aws_config().await;
    let store = DynamoStore::from_environment(&config)?;
    let store = &store;
    run(service_fn(move |request| async move {
        Ok::<_, Error>(handle(store, request).await)
    }))
    .await
}
