//! The activation request log: one item per request id, so a message SNS delivers several
//! times (or concurrently) is acted on once. Items expire a week after their request.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use roster_domain::activation::{
    ActivationRequestLog, ActivationState, Channel, Claim, RecordActivation,
};
use roster_domain::ids::{TenantId, UserId};
use roster_domain::store::{StoreError, StoreResult};
use time::{Duration, OffsetDateTime};

use crate::DynamoStore;
use crate::error::is_condition_failure;
use crate::item::{key, n, s, string_attr};
use crate::keys;

const IN_PROGRESS: &str = "in_progress";
const DONE: &str = "done";
const RELEASED: &str = "released";
const KEEP_FOR: Duration = Duration::days(7);

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "sms",
        Channel::Email => "email",
    }
}

fn delivered(item: &std::collections::HashMap<String, AttributeValue>) -> Vec<Channel> {
    item.get("delivered")
        .and_then(|v| v.as_ss().ok())
        .map(|set| {
            set.iter()
                .filter_map(|c| match c.as_str() {
                    "sms" => Some(Channel::Sms),
                    "email" => Some(Channel::Email),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

impl DynamoStore {
    async fn set_state(&self, tenant: &TenantId, request_id: &str, state: &str) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::activation_request(tenant, request_id))))
            .update_expression("SET #state = :state")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", s(state))
            .send()
            .await
            .map_err(crate::classify)?;
        Ok(())
    }
}

impl ActivationRequestLog for DynamoStore {
    async fn claim(
        &self,
        tenant: &TenantId,
        request_id: &str,
        lease: Duration,
    ) -> StoreResult<Claim> {
        let now = OffsetDateTime::now_utc();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::activation_request(tenant, request_id))))
            .update_expression(
                "SET #state = :in_progress, lease_until = :until, expires_at = if_not_exists(expires_at, :ttl) ADD attempts :one",
            )
            .condition_expression(
                "attribute_not_exists(pk) OR #state = :released OR (#state = :in_progress AND lease_until < :now)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .expression_attribute_values(":released", s(RELEASED))
            .expression_attribute_values(":until", n((now + lease).unix_timestamp()))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":ttl", n((now + KEEP_FOR).unix_timestamp()))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Claim::Acquired {
                delivered: out.attributes.as_ref().map(delivered).unwrap_or_default(),
                attempt: out
                    .attributes
                    .as_ref()
                    .and_then(|i| i.get("attempts"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1),
            }),
            Err(e) if is_condition_failure(&e) => {
                let item = self
                    .get_raw(keys::activation_request(tenant, request_id))
                    .await?;
                Ok(match item.as_ref().and_then(|i| string_attr(i, "state")) {
                    Some(DONE) => Claim::Done,
                    _ => Claim::Busy,
                })
            }
            Err(e) => Err(crate::classify(e)),
        }
    }

    async fn mark_delivered(
        &self,
        tenant: &TenantId,
        request_id: &str,
        channel: Channel,
    ) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::activation_request(tenant, request_id))))
            .update_expression("ADD delivered :channel")
            .expression_attribute_values(
                ":channel",
                AttributeValue::Ss(vec![channel_name(channel).to_owned()]),
            )
            .send()
            .await
            .map_err(crate::classify)?;
        Ok(())
    }

    async fn finish(&self, tenant: &TenantId, request_id: &str) -> StoreResult<()> {
        self.set_state(tenant, request_id, DONE).await
    }

    async fn release(&self, tenant: &TenantId, request_id: &str) -> StoreResult<()> {
        self.set_state(tenant, request_id, RELEASED).await
    }
}

impl RecordActivation for DynamoStore {
    async fn record_activation(
        &self,
        tenant: &TenantId,
        user: &UserId,
        state: &ActivationState,
    ) -> StoreResult<()> {
        let value = serde_dynamo::to_attribute_value(state)
            .map_err(|e| StoreError::Unavailable(format!("cannot encode activation state: {e}")))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::user(tenant, user))))
            // A new version: an edit prepared from the record before this delivery would
            // otherwise write the old activation state back over it (updates put whole items).
            .update_expression("SET activation = :state ADD version :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":state", value)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Deleted meanwhile: nothing to record on.
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(crate::classify(e)),
        }
    }
}
