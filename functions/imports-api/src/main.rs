//! Wires the imports API: clients built once per cold start.

use imports_api::{App, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let config = roster_aws::cold_start().await;
    roster_http::serve(App::from_environment(&config)?, handle).await
}
