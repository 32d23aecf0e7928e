//! Activation codes: one per user (a new code replaces the old), expiring through TTL.

use roster_domain::activation::{ActivationCode, MAX_ATTEMPTS};
use roster_domain::ids::{TenantId, UserId};
use roster_domain::store::{ActivationCodeStore, StoreError, StoreResult};

use crate::DynamoStore;
use crate::item::record_item;
use crate::keys;

const ENTITY: &str = "activation_code";

impl ActivationCodeStore for DynamoStore {
    async fn put_code(&self, code: &ActivationCode) -> StoreResult<()> {
        // `expires_at` serialises as epoch seconds under the table's TTL attribute name.
        let item = record_item(
            code,
            ENTITY,
            keys::activation_code(&code.tenant_id, &code.user_id),
        )?;
        self.put_record(item, None, StoreError::AlreadyExists).await
    }

    async fn get_code(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Option<ActivationCode>> {
        let code: Option<ActivationCode> = self
            .get_record(keys::activation_code(tenant, user), ENTITY)
            .await?;
        // TTL deletes lazily (within days): an expired or spent code is treated as gone.
        Ok(code.filter(|c| !c.used && c.expires_at > time::OffsetDateTime::now_utc()))
    }

    async fn record_failed_attempt(&self, tenant: &TenantId, user: &UserId) -> StoreResult<u8> {
        self.count_failure(tenant, user).await
    }

    async fn consume_code(&self, tenant: &TenantId, user: &UserId) -> StoreResult<bool> {
        self.consume(tenant, user).await
    }

    async fn delete_code(&self, tenant: &TenantId, user: &UserId) -> StoreResult<()> {
        self.delete_record(
            keys::activation_code(tenant, user),
            None,
            StoreError::NotFound,
        )
        .await
    }
}

impl DynamoStore {
    /// `ADD failed_attempts 1` while the code is alive; the new count, or the maximum when
    /// the code is dead or gone.
    pub(crate) async fn count_failure(&self, tenant: &TenantId, user: &UserId) -> StoreResult<u8> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(crate::item::key(keys::activation_code(tenant, user))))
            .update_expression("ADD failed_attempts :one")
            .condition_expression(
                "attribute_exists(pk) AND failed_attempts < :max AND (attribute_not_exists(used) OR used = :false)",
            )
            .expression_attribute_values(":false", aws_sdk_dynamodb::types::AttributeValue::Bool(false))
            .expression_attribute_values(":one", crate::item::n(1))
            .expression_attribute_values(":max", crate::item::n(MAX_ATTEMPTS))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out
                .attributes
                .and_then(|a| {
                    a.get("failed_attempts")
                        .and_then(|v| v.as_n().ok())
                        .and_then(|n| n.parse().ok())
                })
                .unwrap_or(MAX_ATTEMPTS)),
            Err(e) if crate::error::is_condition_failure(&e) => Ok(MAX_ATTEMPTS),
            Err(e) => Err(crate::classify(e)),
        }
    }

    /// Spends a live code once: `used` set under the condition that it was alive and unused
    /// (an update, not a delete, so the public function writes attributes only).
    pub(crate) async fn consume(&self, tenant: &TenantId, user: &UserId) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(crate::item::key(keys::activation_code(tenant, user))))
            .update_expression("SET used = :true")
            .condition_expression(
                "attribute_exists(pk) AND failed_attempts < :max AND expires_at > :now \
                 AND (attribute_not_exists(used) OR used = :false)",
            )
            .expression_attribute_values(
                ":true",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            )
            .expression_attribute_values(
                ":false",
                aws_sdk_dynamodb::types::AttributeValue::Bool(false),
            )
            .expression_attribute_values(":max", crate::item::n(MAX_ATTEMPTS))
            .expression_attribute_values(
                ":now",
                crate::item::n(time::OffsetDateTime::now_utc().unix_timestamp()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if crate::error::is_condition_failure(&e) => Ok(false),
            Err(e) => Err(crate::classify(e)),
        }
    }
}
