//! Structured JSON logs for every function: one line per event, CloudWatch-friendly.
//!
//! The Lambda runtime opens a span per invocation carrying the request id, so every line a
//! handler logs carries it too. Log ids, never personal data or secrets.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber; level from `RUST_LOG` (default `info`). Call once in `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .init();
}
