//! Pick lists (locations, job descriptions): one partition per tenant and list; names unique
//! per list through name claims (`named`).

use roster_domain::ids::{PickEntryId, TenantId};
use roster_domain::pick_list::{PickListEntry, PickListKind};
use roster_domain::store::{PickListStore, StoreError, StoreResult};

use crate::DynamoStore;
use crate::item::{from_item, record_item};
use crate::keys::{self, NamedList};
use crate::named::{NameClaims, RecordWrite};

const ENTITY: &str = "pick_entry";

fn name_claim(kind: PickListKind, entry: &PickListEntry) -> (String, String) {
    keys::name_claim(&entry.tenant_id, NamedList::Pick(kind), &entry.name)
}

impl PickListStore for DynamoStore {
    async fn create_entry(&self, kind: PickListKind, entry: &PickListEntry) -> StoreResult<()> {
        let primary = keys::pick_entry(&entry.tenant_id, kind, entry.id.as_str());
        let record = RecordWrite::Put {
            item: record_item(entry, ENTITY, primary)?,
            condition: "attribute_not_exists(pk)",
            on_failure: StoreError::AlreadyExists,
        };
        let claims = NameClaims {
            take: Some(name_claim(kind, entry)),
            free: None,
        };
        self.write_named(record, entry.id.as_str(), claims).await
    }

    async fn get_entry(
        &self,
        tenant: &TenantId,
        kind: PickListKind,
        id: &PickEntryId,
    ) -> StoreResult<Option<PickListEntry>> {
        self.get_record(keys::pick_entry(tenant, kind, id.as_str()), ENTITY)
            .await
    }

    async fn list_entries(
        &self,
        tenant: &TenantId,
        kind: PickListKind,
    ) -> StoreResult<Vec<PickListEntry>> {
        let items = self
            .query_all(
                None,
                keys::PK,
                keys::pick_list_partition(tenant, kind),
                None,
            )
            .await?;
        items.into_iter().map(|i| from_item(i, ENTITY)).collect()
    }

    async fn delete_entry(&self, kind: PickListKind, entry: &PickListEntry) -> StoreResult<()> {
        let record =
            RecordWrite::Delete(keys::pick_entry(&entry.tenant_id, kind, entry.id.as_str()));
        let claims = NameClaims {
            take: None,
            free: Some(name_claim(kind, entry)),
        };
        self.write_named(record, entry.id.as_str(), claims).await
    }
}
