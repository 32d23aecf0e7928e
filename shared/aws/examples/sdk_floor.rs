//! The cold-start floor of a function that calls AWS (scripts/bench-cold-start): the empty
//! lambda_http binary plus what every such function does at init, the SDK configuration and
//! one client. What a function takes beyond this is its own.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let config = roster_aws::load_aws_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    run(service_fn(|_: Request| async {
        let _warm = &client;
        Ok::<_, Error>(Response::new(Body::Empty))
    }))
    .await
}
