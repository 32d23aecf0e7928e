//! The cold-start baseline (scripts/bench-cold-start): a lambda_http function that does
//! nothing, built with the same profile and runtime flavour as the functions.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|_: Request| async {
        Ok::<_, Error>(Response::new(Body::Empty))
    }))
    .await
}
