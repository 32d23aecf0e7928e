//! Wires the users API: clients built once per cold start, then one handler per request.

use lambda_http::{Error, run, service_fn};
use users_api::{App, handle};

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
