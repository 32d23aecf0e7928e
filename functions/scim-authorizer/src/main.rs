//! Wires the SCIM token authorizer: the store built once per cold start.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use scim_authorizer::handle;

// One request at a time per execution environment: the current thread serves it, with the
// main thread's stack (debug builds of the handlers nest deep state machines).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let config = roster_aws::cold_start().await;
    let store = roster_aws::DynamoStore::from_environment(&config)?;
    let store = &store;
    run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| async move {
            Ok::<_, Error>(handle(store, &event.payload).await)
        },
    ))
    .await
}
