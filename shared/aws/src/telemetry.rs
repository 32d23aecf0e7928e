//! Structured JSON logs for every function: one line per event, CloudWatch-friendly.
//!
//! The Lambda runtime opens a span per invocation carrying the request id, so every line a
//! handler logs carries it too. Log ids, never personal data or secrets.

use tracing_subscriber::EnvFilter;

/// The S3 client warns on every read of an object uploaded in parts (an admin's `aws s3 cp`
/// of a large sheet) that it cannot check the parts' combined checksum: expected, nothing
/// anyone can act on, and one line per invocation of every import of such a file. Its other
/// checksum messages (a mismatch is an error) still get through.
const QUIETED: &str = "aws_sdk_s3::http_response_checksum=error";

/// The level from `RUST_LOG` (default `info`), with [`QUIETED`] added.
fn log_filter(rust_log: Option<&str>) -> EnvFilter {
    let base = rust_log
        .and_then(|raw| EnvFilter::try_new(raw).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    base.add_directive(QUIETED.parse().expect("a valid directive"))
}

/// Installs the JSON subscriber. Call once in `main`.
pub fn init() {
    let rust_log = std::env::var("RUST_LOG").ok();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(log_filter(rust_log.as_deref()))
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(rust_log: Option<&str>) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter(log_filter(rust_log))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "aws_sdk_s3::http_response_checksum", "part-level checksum");
            tracing::error!(target: "aws_sdk_s3::http_response_checksum", "checksum mismatch");
            tracing::warn!(target: "roster_aws::import_bucket", "a warning of ours");
            tracing::debug!(target: "roster_aws::import_bucket", "a debug line");
        });
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_part_checksum_warning_is_quieted_and_nothing_else() {
        for rust_log in [
            None,
            Some("warn"),
            Some("debug"),
            Some("info,roster_aws=debug"),
        ] {
            let text = logged(rust_log);
            assert!(
                !text.contains("part-level checksum"),
                "{rust_log:?}: {text}"
            );
            assert!(text.contains("checksum mismatch"), "{rust_log:?}: {text}");
            assert!(text.contains("a warning of ours"), "{rust_log:?}: {text}");
            assert_eq!(
                text.contains("a debug line"),
                rust_log != Some("warn") && rust_log.is_some()
            );
        }
    }
}
