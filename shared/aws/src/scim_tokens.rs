//! SCIM tokens: one partition per tenant (a handful of tokens); the authorizer reads one by
//! its key, which the presented token text names.

use roster_domain::ids::{ScimTokenId, TenantId};
use roster_domain::scim::token::{ScimToken, ScimTokenStore};
use roster_domain::store::{StoreError, StoreResult};

use crate::DynamoStore;
use crate::item::{from_item, record_item};
use crate::keys;

const ENTITY: &str = "scim_token";

impl ScimTokenStore for DynamoStore {
    async fn create_token(&self, token: &ScimToken) -> StoreResult<()> {
        let item = record_item(token, ENTITY, keys::scim_token(&token.tenant_id, &token.id))?;
        self.put_record(
            item,
            Some("attribute_not_exists(pk)"),
            StoreError::AlreadyExists,
        )
        .await
    }

    async fn get_token(
        &self,
        tenant: &TenantId,
        id: &ScimTokenId,
    ) -> StoreResult<Option<ScimToken>> {
        self.get_record(keys::scim_token(tenant, id), ENTITY).await
    }

    async fn list_tokens(&self, tenant: &TenantId) -> StoreResult<Vec<ScimToken>> {
        let items = self
            .query_all(None, keys::PK, keys::scim_tokens_partition(tenant), None)
            .await?;
        items.into_iter().map(|i| from_item(i, ENTITY)).collect()
    }

    async fn delete_token(&self, tenant: &TenantId, id: &ScimTokenId) -> StoreResult<()> {
        self.delete_record(
            keys::scim_token(tenant, id),
            Some("attribute_exists(pk)"),
            StoreError::NotFound,
        )
        .await
    }
}
