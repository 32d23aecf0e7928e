//! Failed-activation counters: one item per login and per source address for each hour,
//! counted with `ADD` (atomic under concurrent tries) and expiring by TTL a day later.

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnValue};
use roster_domain::ids::TenantId;
use roster_domain::store::{ActivationFailures, ActivationLimits, StoreResult};
use time::OffsetDateTime;

use crate::DynamoStore;
use crate::item::{key, n};
use crate::keys;

/// The current window, `yyyymmddhh` (UTC).
fn hour(now: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour()
    )
}

fn count(item: Option<&std::collections::HashMap<String, AttributeValue>>) -> u32 {
    item.and_then(|i| i.get("failures"))
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl DynamoStore {
    async fn add_failure(
        &self,
        item_key: (String, String),
        now: OffsetDateTime,
    ) -> StoreResult<u32> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(item_key)))
            .update_expression("ADD failures :one SET expires_at = if_not_exists(expires_at, :ttl)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(
                ":ttl",
                n((now + time::Duration::days(1)).unix_timestamp()),
            )
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(crate::classify)?;
        Ok(count(out.attributes.as_ref()))
    }
}

impl ActivationLimits for DynamoStore {
    async fn failures(
        &self,
        tenant: &TenantId,
        login: &str,
        source: &str,
    ) -> StoreResult<ActivationFailures> {
        let window = hour(OffsetDateTime::now_utc());
        let login_key = keys::failed_login(tenant, login, &window);
        let source_key = keys::failed_source(source, &window);
        let wanted = KeysAndAttributes::builder()
            .keys(key(login_key.clone()))
            .keys(key(source_key.clone()))
            .consistent_read(true)
            .build()
            .map_err(|e| roster_domain::store::StoreError::Unavailable(e.to_string()))?;
        let out = self
            .client
            .batch_get_item()
            .request_items(&self.table, wanted)
            .send()
            .await
            .map_err(crate::classify)?;
        let items = out
            .responses
            .and_then(|mut r| r.remove(&self.table))
            .unwrap_or_default();
        let find = |(pk, sk): &(String, String)| {
            items.iter().find(|i| {
                i.get("pk").and_then(|v| v.as_s().ok()) == Some(pk)
                    && i.get("sk").and_then(|v| v.as_s().ok()) == Some(sk)
            })
        };
        // Two small keys never come back unprocessed unless throttled: then they count as
        // zero this once, and the next try reads them.
        Ok(ActivationFailures {
            login: count(find(&login_key)),
            source: count(find(&source_key)),
        })
    }

    async fn count_failure(
        &self,
        tenant: &TenantId,
        login: &str,
        source: &str,
        count_login: bool,
    ) -> StoreResult<ActivationFailures> {
        let now = OffsetDateTime::now_utc();
        let window = hour(now);
        let source_count = self
            .add_failure(keys::failed_source(source, &window), now)
            .await?;
        let login_count = if count_login {
            self.add_failure(keys::failed_login(tenant, login, &window), now)
                .await?
        } else {
            0
        };
        Ok(ActivationFailures {
            login: login_count,
            source: source_count,
        })
    }
}
