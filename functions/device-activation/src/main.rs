//! Wires the public device-activation endpoint.

use device_activation::handle;
use roster_aws::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let config = roster_aws::cold_start().await;
    roster_http::serve(DynamoStore::from_environment(&config)?, handle).await
}
