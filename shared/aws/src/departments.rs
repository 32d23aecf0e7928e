//! Departments: one partition per tenant (a tenant has tens, not millions); names unique per
//! tenant through name claims (`named`).

use roster_domain::department::Department;
use roster_domain::ids::{DepartmentId, TenantId};
use roster_domain::store::{DepartmentStore, StoreError, StoreResult};

use crate::DynamoStore;
use crate::item::{from_item, record_item, s};
use crate::keys::{self, NamedList, USER_SHARDS};
use crate::named::{NameClaims, RecordWrite};

const ENTITY: &str = "department";

impl DepartmentStore for DynamoStore {
    async fn create_department(&self, department: &Department) -> StoreResult<()> {
        let item = record_item(
            department,
            ENTITY,
            keys::department(&department.tenant_id, &department.id),
        )?;
        let record = RecordWrite::Put {
            item,
            condition: "attribute_not_exists(pk)",
            on_failure: StoreError::AlreadyExists,
        };
        let claims = NameClaims {
            take: Some(name_claim(department)),
            free: None,
        };
        self.write_named(record, department.id.as_str(), claims)
            .await
    }

    async fn get_department(
        &self,
        tenant: &TenantId,
        id: &DepartmentId,
    ) -> StoreResult<Option<Department>> {
        self.get_record(keys::department(tenant, id), ENTITY).await
    }

    async fn list_departments(&self, tenant: &TenantId) -> StoreResult<Vec<Department>> {
        let items = self
            .query_all(None, keys::PK, keys::departments_partition(tenant), None)
            .await?;
        items.into_iter().map(|i| from_item(i, ENTITY)).collect()
    }

    async fn rename_department(&self, before: &Department, after: &Department) -> StoreResult<()> {
        let item = record_item(after, ENTITY, keys::department(&after.tenant_id, &after.id))?;
        let record = RecordWrite::Put {
            item,
            condition: "attribute_exists(pk)",
            on_failure: StoreError::NotFound,
        };
        let claims = NameClaims::moving(name_claim(before), name_claim(after));
        self.write_named(record, after.id.as_str(), claims).await
    }

    async fn department_has_users(
        &self,
        tenant: &TenantId,
        id: &DepartmentId,
    ) -> StoreResult<bool> {
        for shard in 0..USER_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::BY_DEPARTMENT.name)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", keys::BY_DEPARTMENT.pk)
                .expression_attribute_values(
                    ":pk",
                    s(keys::department_list_partition(tenant, id, shard)),
                )
                .limit(1)
                .send()
                .await
                .map_err(crate::classify)?;
            if out.count > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn delete_department(&self, department: &Department) -> StoreResult<()> {
        let record = RecordWrite::Delete(keys::department(&department.tenant_id, &department.id));
        let claims = NameClaims {
            take: None,
            free: Some(name_claim(department)),
        };
        self.write_named(record, department.id.as_str(), claims)
            .await
    }
}

fn name_claim(department: &Department) -> (String, String) {
    keys::name_claim(
        &department.tenant_id,
        NamedList::Departments,
        &department.name,
    )
}
