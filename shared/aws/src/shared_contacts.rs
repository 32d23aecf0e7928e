//! Shared contacts: one partition per tenant (tens to hundreds of entries).

use roster_domain::directory::shared_contact::SharedContact;
use roster_domain::ids::{SharedContactId, TenantId};
use roster_domain::store::{SharedContactStore, StoreError, StoreResult};

use crate::DynamoStore;
use crate::item::{from_item, record_item};
use crate::keys;

const ENTITY: &str = "shared_contact";

fn primary(contact: &SharedContact) -> (String, String) {
    keys::shared_contact(&contact.tenant_id, &contact.id)
}

impl SharedContactStore for DynamoStore {
    async fn create_contact(&self, contact: &SharedContact) -> StoreResult<()> {
        let item = record_item(contact, ENTITY, primary(contact))?;
        self.put_record(
            item,
            Some("attribute_not_exists(pk)"),
            StoreError::AlreadyExists,
        )
        .await
    }

    async fn get_contact(
        &self,
        tenant: &TenantId,
        id: &SharedContactId,
    ) -> StoreResult<Option<SharedContact>> {
        self.get_record(keys::shared_contact(tenant, id), ENTITY)
            .await
    }

    async fn list_contacts(&self, tenant: &TenantId) -> StoreResult<Vec<SharedContact>> {
        let items = self
            .query_all(
                None,
                keys::PK,
                keys::shared_contacts_partition(tenant),
                None,
            )
            .await?;
        items.into_iter().map(|i| from_item(i, ENTITY)).collect()
    }

    async fn put_contact(&self, contact: &SharedContact) -> StoreResult<()> {
        let item = record_item(contact, ENTITY, primary(contact))?;
        self.put_record(item, Some("attribute_exists(pk)"), StoreError::NotFound)
            .await
    }

    async fn delete_contact(&self, contact: &SharedContact) -> StoreResult<()> {
        self.delete_record(
            primary(contact),
            Some("attribute_exists(pk)"),
            StoreError::NotFound,
        )
        .await
    }
}
