//! Maps SDK failures onto the domain's [`StoreError`]: callers decide by kind, and the SDK's
//! text goes to logs only.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use roster_domain::store::StoreError;

/// Throttling after the SDK's own retries becomes [`StoreError::Throttled`]; anything else
/// unexpected becomes [`StoreError::Unavailable`] with the detail for the log.
pub fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.code() {
        Some(
            "ThrottlingException"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded",
        ) => StoreError::Throttled,
        _ => StoreError::Unavailable(format!(
            "{}",
            aws_sdk_dynamodb::error::DisplayErrorContext(&err)
        )),
    }
}

/// Whether a single-item write failed its condition.
pub fn is_condition_failure<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.code() == Some("ConditionalCheckFailedException")
}

pub fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("stored {what} does not decode: {err}"))
}
