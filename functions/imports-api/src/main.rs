//! Wires the imports API: clients built once per cold start.

use imports_api::{App, handle};
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    roster_aws::telemetry::init();
    let config = roster_aws::load_aws_config().await;
    let app = App::from_environment(&config)?;
    let app = &app;
    run(service_fn(move |request| async move {
        Ok::<_, Error>(handle(app, request).await)
    }))
    .await
}
