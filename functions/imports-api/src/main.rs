//! Wires the imports API: clients built once per cold start.

use imports_api::{App, handle};

// One request at a time per execution environment: the current thread serves it, with the
// main thread's stack (debug builds of the handlers nest deep state machines).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = roster_aws::cold_start().await;
    roster_http::serve(App::from_environment(&config)?, handle).await
}
