//! Items ⇄ domain records, and the small builders every store module uses.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use roster_domain::store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::corrupt;
use crate::keys::{PK, SK};

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The item's primary key.
pub fn key((pk, sk): (String, String)) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// `record`'s fields plus its primary key and entity name.
pub fn record_item<T: Serialize>(
    record: &T,
    entity: &str,
    primary: (String, String),
) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(record)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode {entity}: {e}")))?;
    item.extend(key(primary));
    item.insert("entity".to_owned(), s(entity));
    Ok(item)
}

/// Decodes a record, first dropping the attributes storage adds (keys, index keys, entity),
/// so records may reject unknown fields.
pub fn from_item<T: DeserializeOwned>(mut item: Item, entity: &str) -> Result<T, StoreError> {
    item.remove(PK);
    item.remove(SK);
    item.remove("entity");
    for index in crate::keys::all_indexes() {
        item.remove(index.pk);
        item.remove(index.sk);
    }
    serde_dynamo::from_item(item).map_err(|e| corrupt(entity, e))
}

pub fn string_attr<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// A conditional write's result: its condition failing becomes `on_condition_failure`.
fn conditional_outcome<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
    on_condition_failure: StoreError,
) -> Result<(), StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) if crate::error::is_condition_failure(&e) => Err(on_condition_failure),
        Err(e) => Err(crate::classify(e)),
    }
}

impl crate::DynamoStore {
    /// Reads one item (strongly consistent) and decodes it.
    pub(crate) async fn get_record<T: DeserializeOwned>(
        &self,
        primary: (String, String),
        entity: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get_raw(primary)
            .await?
            .map(|item| from_item(item, entity))
            .transpose()
    }

    /// Reads one item (strongly consistent) as stored.
    pub(crate) async fn get_raw(
        &self,
        primary: (String, String),
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(primary)))
            .consistent_read(true)
            .send()
            .await
            .map_err(crate::classify)?;
        Ok(out.item)
    }

    /// Writes one item; when `condition` fails, returns `on_condition_failure`.
    pub(crate) async fn put_record(
        &self,
        item: Item,
        condition: Option<&str>,
        on_condition_failure: StoreError,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .send()
            .await;
        conditional_outcome(result, on_condition_failure)
    }

    /// Deletes one item; when `condition` fails, returns `on_condition_failure`.
    pub(crate) async fn delete_record(
        &self,
        primary: (String, String),
        condition: Option<&str>,
        on_condition_failure: StoreError,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(primary)))
            .set_condition_expression(condition.map(str::to_owned))
            .send()
            .await;
        conditional_outcome(result, on_condition_failure)
    }

    /// Every item of a partition (of the table or an index), following pagination.
    pub(crate) async fn query_all(
        &self,
        index: Option<&str>,
        pk_attribute: &str,
        partition: String,
        sk_between: Option<(&str, String, String)>,
    ) -> Result<Vec<Item>, StoreError> {
        let range = match sk_between {
            Some((attribute, from, to)) => SortRange::Between {
                attribute,
                from,
                to,
            },
            None => SortRange::All,
        };
        let query = PartitionQuery {
            index,
            pk_attribute,
            partition,
            range,
            page_size: None,
        };
        let mut items = Vec::new();
        self.query_pages(&query, |page| {
            items.extend(page);
            Ok(false)
        })
        .await?;
        Ok(items)
    }

    /// Reads a partition page by page, giving each page to `enough`, until it says `true` or
    /// the partition ends; `true` when the partition was read to its end. The one pagination
    /// loop of the crate.
    pub(crate) async fn query_pages(
        &self,
        query: &PartitionQuery<'_>,
        mut enough: impl FnMut(Vec<Item>) -> Result<bool, StoreError>,
    ) -> Result<bool, StoreError> {
        let mut start: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.map(str::to_owned))
                .expression_attribute_names("#pk", query.pk_attribute)
                .expression_attribute_values(":pk", s(query.partition.clone()))
                .set_exclusive_start_key(start.take())
                .set_limit(query.page_size);
            request = match &query.range {
                SortRange::All => request.key_condition_expression("#pk = :pk"),
                SortRange::Between {
                    attribute,
                    from,
                    to,
                } => request
                    .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                    .expression_attribute_names("#sk", *attribute)
                    .expression_attribute_values(":from", s(from.clone()))
                    .expression_attribute_values(":to", s(to.clone())),
                SortRange::After { attribute, after } => request
                    .key_condition_expression("#pk = :pk AND #sk > :after")
                    .expression_attribute_names("#sk", *attribute)
                    .expression_attribute_values(":after", s(after.clone())),
            };
            let out = request.send().await.map_err(crate::classify)?;
            let done = enough(out.items.unwrap_or_default())?;
            match out.last_evaluated_key {
                Some(last) if !done => start = Some(last),
                Some(_) => return Ok(false),
                None => return Ok(true),
            }
        }
    }
}

/// Which sort keys of a partition a query reads.
pub(crate) enum SortRange<'a> {
    All,
    Between {
        attribute: &'a str,
        from: String,
        to: String,
    },
    After {
        attribute: &'a str,
        after: String,
    },
}

/// A query of one partition of the table (`index: None`) or of an index.
pub(crate) struct PartitionQuery<'a> {
    pub index: Option<&'a str>,
    pub pk_attribute: &'a str,
    pub partition: String,
    pub range: SortRange<'a>,
    /// Items per request (`None`: DynamoDB's 1 MB pages).
    pub page_size: Option<i32>,
}

impl<'a> PartitionQuery<'a> {
    /// One shard of an id-sorted listing index, from after `after` (the previous page's last
    /// id), read in requests sized for a page of `limit`.
    pub fn listing(
        index: crate::keys::Index,
        partition: String,
        after: Option<roster_domain::ids::UserId>,
        limit: usize,
    ) -> Self {
        Self {
            index: Some(index.name),
            pk_attribute: index.pk,
            partition,
            range: match after {
                Some(after) => SortRange::After {
                    attribute: index.sk,
                    after: after.to_string(),
                },
                None => SortRange::All,
            },
            page_size: Some(limit.clamp(10, 1000) as i32),
        }
    }
}
