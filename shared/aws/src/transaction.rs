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
    /// Another transaction was writing the same items at the same time.
    Conflict,
    /// Anything else, already classified.
    Other(StoreError),
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
    let code = |wanted: &str| reasons.iter().position(|r| r.code() == Some(wanted));
    match (code("ConditionalCheckFailed"), code("TransactionConflict")) {
        (Some(index), _) => Cancelled::Condition(index),
        (None, Some(_)) => Cancelled::Conflict,
        (None, None) => Cancelled::Other(crate::classify(err)),
    }
}

impl DynamoStore {
    /// Writes `items` all or none.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), Cancelled> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
            .map_err(cancelled)
    }
}
