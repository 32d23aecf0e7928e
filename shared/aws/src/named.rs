//! Records whose name is unique in their list (departments, pick-list entries): the record and
//! a name claim item are written in one transaction, so two admins creating "Field Ops" at
//! once cannot both succeed, and a rename moves the claim atomically.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use roster_domain::store::{StoreError, StoreResult};

use crate::DynamoStore;
use crate::item::{Item, key, s};
use crate::transaction::{Cancelled, build_err};

/// What happens to the record itself in the transaction.
pub(crate) enum RecordWrite {
    /// Put the item; `condition` failing means `on_failure`.
    Put {
        item: Item,
        condition: &'static str,
        on_failure: StoreError,
    },
    /// Delete the record at this key if it exists (else `NotFound`).
    Delete((String, String)),
}

/// The name claims that move with the write: the one to take and the one to free.
#[derive(Default)]
pub(crate) struct NameClaims {
    pub take: Option<(String, String)>,
    pub free: Option<(String, String)>,
}

impl NameClaims {
    /// A rename: the claim moves from `old` to `new`, or stays put when the name (in any
    /// case) is the same.
    pub fn moving(old: (String, String), new: (String, String)) -> Self {
        if old == new {
            Self::default()
        } else {
            Self {
                take: Some(new),
                free: Some(old),
            }
        }
    }
}

/// Items that go with a named write (a department's member counters), and what a failed
/// condition of the guard at an index means.
pub(crate) struct Guards {
    pub items: Vec<TransactWriteItem>,
    pub on_failure: fn(usize) -> StoreError,
}

impl Default for Guards {
    fn default() -> Self {
        Self {
            items: vec![],
            on_failure: |_| StoreError::Unavailable("a guard's condition failed".into()),
        }
    }
}

impl DynamoStore {
    pub(crate) async fn write_named(
        &self,
        record: RecordWrite,
        owner_id: &str,
        claims: NameClaims,
    ) -> StoreResult<()> {
        self.write_named_with(record, owner_id, claims, Guards::default())
            .await
    }

    /// [`Self::write_named`] with more items in the same transaction.
    pub(crate) async fn write_named_with(
        &self,
        record: RecordWrite,
        owner_id: &str,
        claims: NameClaims,
        guards: Guards,
    ) -> StoreResult<()> {
        let mut items = Vec::new();
        let on_record_failure = match record {
            RecordWrite::Put {
                item,
                condition,
                on_failure,
            } => {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression(condition)
                    .build()
                    .map_err(build_err)?;
                items.push(TransactWriteItem::builder().put(put).build());
                on_failure
            }
            RecordWrite::Delete(primary) => {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(primary)))
                    .condition_expression("attribute_exists(pk)")
                    .build()
                    .map_err(build_err)?;
                items.push(TransactWriteItem::builder().delete(delete).build());
                StoreError::NotFound
            }
        };
        // Records created before names were claimed have no claim to free: no condition.
        if let Some(free) = claims.free {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(free)))
                .build()
                .map_err(build_err)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        let claim_at = claims.take.as_ref().map(|_| items.len());
        if let Some(take) = claims.take {
            let mut claim = key(take);
            claim.insert("id".to_owned(), s(owner_id));
            claim.insert("entity".to_owned(), s("name_claim"));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(claim))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build_err)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        let guards_from = items.len();
        items.extend(guards.items);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(Cancelled::Condition(0)) => Err(on_record_failure),
            Err(Cancelled::Condition(i)) if claim_at == Some(i) => Err(StoreError::NameTaken),
            Err(Cancelled::Condition(i)) if i >= guards_from => {
                Err((guards.on_failure)(i - guards_from))
            }
            Err(Cancelled::Condition(i)) => Err(StoreError::Unavailable(format!(
                "the condition of transaction item {i} failed"
            ))),
            // Two admins writing the same name at once: the loser may simply retry.
            Err(Cancelled::Conflict) => Err(StoreError::Throttled),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }
}
