//! Tenant settings: one item per tenant; absent means defaults.

use roster_domain::ids::TenantId;
use roster_domain::store::{StoreError, StoreResult, TenantSettingsStore};
use roster_domain::tenant::TenantSettings;

use crate::DynamoStore;
use crate::item::record_item;
use crate::keys;

const ENTITY: &str = "tenant_settings";

impl TenantSettingsStore for DynamoStore {
    async fn get_settings(&self, tenant: &TenantId) -> StoreResult<TenantSettings> {
        Ok(self
            .get_record(keys::settings(tenant), ENTITY)
            .await?
            .unwrap_or_default())
    }

    async fn put_settings(&self, tenant: &TenantId, settings: &TenantSettings) -> StoreResult<()> {
        let item = record_item(settings, ENTITY, keys::settings(tenant))?;
        self.put_record(item, None, StoreError::AlreadyExists).await
    }
}
