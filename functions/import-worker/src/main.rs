//! Wires the import worker: clients built once per cold start; each invocation hands over a
//! minute before its deadline (`hand_over_after`).

// The runner's future (claim, passes, all-or-nothing stages, undo) nests deeper than the
// compiler's default query depth when the runtime lays it out.
#![recursion_limit = "256"]

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use import_worker::{Worker, hand_over_after, time_left};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = roster_aws::cold_start().await;
    let worker = Worker::from_environment(&config)?;
    let worker = &worker;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let left = time_left(event.context.deadline, now_ms);
        let hand_over_at = Instant::now() + hand_over_after(left);
        worker
            .handle(event.payload, Some(hand_over_at))
            .await
            .map_err(Error::from)
    }))
    .await
}
