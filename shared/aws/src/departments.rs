//! Departments: one partition per tenant (a tenant has tens, not millions).

use roster_domain::department::Department;
use roster_domain::ids::{DepartmentId, TenantId};
use roster_domain::store::{DepartmentStore, StoreError, StoreResult};

use crate::DynamoStore;
use crate::item::{from_item, record_item, s};
use crate::keys::{self, USER_SHARDS};

const ENTITY: &str = "department";

impl DepartmentStore for DynamoStore {
    async fn create_department(&self, department: &Department) -> StoreResult<()> {
        let item = record_item(
            department,
            ENTITY,
            keys::department(&department.tenant_id, &department.id),
        )?;
        self.put_record(
            item,
            Some("attribute_not_exists(pk)"),
            StoreError::AlreadyExists,
        )
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

    async fn rename_department(&self, department: &Department) -> StoreResult<()> {
        let item = record_item(
            department,
            ENTITY,
            keys::department(&department.tenant_id, &department.id),
        )?;
        self.put_record(item, Some("attribute_exists(pk)"), StoreError::NotFound)
            .await
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

    async fn delete_department(&self, tenant: &TenantId, id: &DepartmentId) -> StoreResult<()> {
        self.delete_record(
            keys::department(tenant, id),
            Some("attribute_exists(pk)"),
            StoreError::NotFound,
        )
        .await
    }
}
