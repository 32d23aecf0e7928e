//! Running a `TransactWriteItems` and reading why it was cancelled: the one place that
//! unpicks DynamoDB's cancellation reasons, so each writer only says what a failed item means.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use roster_domain::store::StoreError;

use crate::DynamoStore;

/// Why a transaction did not commit.
pub(crate) enum Cancelled {
    /// The condition of the item at this index failed (the first such item).
    Condition(usize),
    /// Another transaction kept writing the same items, through every retry: the caller may
    /// try again later (never a version mismatch: nothing was stale).
    Conflict,
    /// Anything else, already classified (throttling that outlasted the retries is
    /// [`StoreError::Throttled`]).
    Other(StoreError),
}

/// Attempts of one transaction that meets a conflict or throttling, with exponential backoff
/// and jitter (about 25 ms, 50 ms, … 1.6 s: some 3 s in all).
const ATTEMPTS: u32 = 8;

/// Whether a cancellation (or failure) is worth retrying, and what it means if it persists.
fn retryable(cancelled: &Cancelled) -> bool {
    matches!(
        cancelled,
        Cancelled::Conflict | Cancelled::Other(StoreError::Throttled)
    )
}

async fn back_off(attempt: u32) {
    let base = 25u64 << attempt.min(6);
    let jitter = rand::random::<u64>() % base.max(1);
    tokio::time::sleep(std::time::Duration::from_millis(base / 2 + jitter)).await;
}

/// A request that could not be built: a bug, reported as unavailable without details.
pub(crate) fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("invalid request: {e}"))
}

fn cancelled(
    err: SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Cancelled {
    let reasons = match &err {
        SdkError::ServiceError(service) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(e) => {
                e.cancellation_reasons().to_vec()
            }
            _ => return Cancelled::Other(crate::classify(err)),
        },
        _ => return Cancelled::Other(crate::classify(err)),
    };
    let codes: Vec<Option<&str>> = reasons.iter().map(|r| r.code()).collect();
    classify_reasons(&codes).unwrap_or_else(|| Cancelled::Other(crate::classify(err)))
}

/// DynamoDB's cancellation reason codes, one per item (`None` / "None" for items that were
/// fine): a failed condition wins (it is the answer), then throttling, then conflicts.
fn classify_reasons(codes: &[Option<&str>]) -> Option<Cancelled> {
    let find = |wanted: &[&str]| {
        codes
            .iter()
            .position(|c| c.is_some_and(|c| wanted.contains(&c)))
    };
    if let Some(index) = find(&["ConditionalCheckFailed"]) {
        return Some(Cancelled::Condition(index));
    }
    if find(&[
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    ])
    .is_some()
    {
        return Some(Cancelled::Other(StoreError::Throttled));
    }
    if find(&["TransactionConflict"]).is_some() {
        return Some(Cancelled::Conflict);
    }
    None
}

impl DynamoStore {
    /// Writes `items` all or none; conflicts with other transactions and throttling are
    /// retried with backoff before they are reported.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), Cancelled> {
        let mut attempt = 0;
        loop {
            let outcome = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await
                .map(|_| ())
                .map_err(cancelled);
            match outcome {
                Err(why) if retryable(&why) && attempt + 1 < ATTEMPTS => {
                    back_off(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(codes: &[Option<&str>]) -> &'static str {
        match classify_reasons(codes) {
            Some(Cancelled::Condition(_)) => "condition",
            Some(Cancelled::Conflict) => "conflict",
            Some(Cancelled::Other(StoreError::Throttled)) => "throttled",
            Some(Cancelled::Other(_)) => "other",
            None => "unknown",
        }
    }

    #[test]
    fn each_cancellation_reason_is_told_apart() {
        assert_eq!(
            kind(&[Some("None"), Some("ConditionalCheckFailed")]),
            "condition"
        );
        assert!(matches!(
            classify_reasons(&[Some("None"), Some("ConditionalCheckFailed")]),
            Some(Cancelled::Condition(1))
        ));
        assert_eq!(
            kind(&[Some("TransactionConflict"), Some("None")]),
            "conflict"
        );
        assert_eq!(kind(&[Some("ThrottlingError")]), "throttled");
        assert_eq!(
            kind(&[
                Some("ProvisionedThroughputExceeded"),
                Some("TransactionConflict")
            ]),
            "throttled"
        );
        assert_eq!(
            kind(&[Some("TransactionConflict"), Some("ConditionalCheckFailed")]),
            "condition",
            "a failed condition is the answer even when another item conflicted"
        );
        assert_eq!(kind(&[Some("ValidationError")]), "unknown");
        assert!(retryable(&Cancelled::Conflict));
        assert!(retryable(&Cancelled::Other(StoreError::Throttled)));
        assert!(!retryable(&Cancelled::Condition(0)));
    }
}
