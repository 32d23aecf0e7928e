//! Wires the activation sender: clients built once per cold start.

use activation_sender::{App, handle};
use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = roster_aws::cold_start().await;
    let app = App::from_environment(&config)?;
    let app = &app;
    run(service_fn(move |event: LambdaEvent<SnsEvent>| async move {
        handle(app, event.payload).await.map_err(Error::from)
    }))
    .await
}
