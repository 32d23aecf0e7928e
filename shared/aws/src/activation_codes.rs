//! Activation codes: one per user (a new code replaces the old), expiring through TTL.

use roster_domain::activation::ActivationCode;
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
        // TTL deletes lazily (within days): an expired code is treated as gone right away.
        Ok(code.filter(|c| c.expires_at > time::OffsetDateTime::now_utc()))
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
