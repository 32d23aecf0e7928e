//! Departments: one partition per tenant (a tenant has tens, not millions); names unique per
//! tenant through name claims (`named`).

use roster_domain::department::Department;
use roster_domain::ids::{DepartmentId, TenantId};
use roster_domain::store::{DepartmentStore, StoreError, StoreResult};

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};

use crate::DynamoStore;
use crate::item::{from_item, key, n, record_item, s};
use crate::keys::{self, NamedList, USER_SHARDS};
use crate::named::{Guards, NameClaims, RecordWrite};
use crate::transaction::{Cancelled, build_err};

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
        let counters = (0..keys::MEMBER_COUNTERS)
            .map(|c| self.new_member_counter(&department.tenant_id, &department.id, c, false))
            .collect::<StoreResult<_>>()?;
        let guards = Guards {
            items: counters,
            on_failure: |_| StoreError::AlreadyExists,
        };
        self.write_named_with(record, department.id.as_str(), claims, guards)
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

    /// Deletes the department with its member counters, each only at zero, and only while no
    /// import holds the departments: a user who joined after the emptiness check makes the
    /// whole delete fail instead of being orphaned. A hold left by a finished import is
    /// dropped and the delete tried once more.
    async fn delete_department(&self, department: &Department) -> StoreResult<()> {
        match self.delete_unheld_department(department).await {
            Err(StoreError::ImportRunning)
                if self.drop_stale_holds(&department.tenant_id).await? =>
            {
                self.delete_unheld_department(department).await
            }
            outcome => outcome,
        }
    }
}

impl DynamoStore {
    async fn delete_unheld_department(&self, department: &Department) -> StoreResult<()> {
        let record = RecordWrite::Delete(keys::department(&department.tenant_id, &department.id));
        let claims = NameClaims {
            take: None,
            free: Some(name_claim(department)),
        };
        let counters = (0..keys::MEMBER_COUNTERS)
            .map(|c| {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(keys::department_members(
                        &department.tenant_id,
                        &department.id,
                        c,
                    ))))
                    // Departments from before the counters have none: nothing to check.
                    .condition_expression("attribute_not_exists(pk) OR members <= :zero")
                    .expression_attribute_values(":zero", n(0))
                    .build()
                    .map_err(build_err)?;
                Ok(TransactWriteItem::builder().delete(delete).build())
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let mut items = vec![self.no_import_holds(&department.tenant_id)?];
        items.extend(counters);
        let guards = Guards {
            items,
            on_failure: |i| match i {
                0 => StoreError::ImportRunning,
                _ => StoreError::DepartmentNotEmpty,
            },
        };
        self.write_named_with(record, department.id.as_str(), claims, guards)
            .await
    }

    /// A member counter at zero (`only_if_missing`: never over one that counts already).
    fn new_member_counter(
        &self,
        tenant: &TenantId,
        department: &DepartmentId,
        counter: u32,
        only_if_missing: bool,
    ) -> StoreResult<TransactWriteItem> {
        let mut item = key(keys::department_members(tenant, department, counter));
        item.insert("entity".to_owned(), s("department_members"));
        item.insert("members".to_owned(), n(0));
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if only_if_missing {
            put = put.condition_expression("attribute_not_exists(pk)");
        }
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(build_err)?)
            .build())
    }

    /// Gives a department made before member counters its counters (each only if missing,
    /// and only while the department exists); `true` when one was added, so the write that
    /// found it missing may be tried again.
    pub(crate) async fn add_missing_member_counters(
        &self,
        tenant: &TenantId,
        department: &DepartmentId,
    ) -> StoreResult<bool> {
        let mut added = false;
        for counter in 0..keys::MEMBER_COUNTERS {
            let exists = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key(keys::department(tenant, department))))
                .condition_expression("attribute_exists(pk)")
                .build()
                .map_err(build_err)?;
            let items = vec![
                TransactWriteItem::builder().condition_check(exists).build(),
                self.new_member_counter(tenant, department, counter, true)?,
            ];
            match self.transact(items).await {
                Ok(()) => added = true,
                // The department is gone: nothing to add, the write fails as it should.
                Err(Cancelled::Condition(0)) => return Ok(false),
                // This counter exists already.
                Err(Cancelled::Condition(_)) => {}
                Err(Cancelled::Conflict) => return Err(StoreError::Throttled),
                Err(Cancelled::Other(e)) => return Err(e),
            }
        }
        Ok(added)
    }
}

fn name_claim(department: &Department) -> (String, String) {
    keys::name_claim(
        &department.tenant_id,
        NamedList::Departments,
        &department.name,
    )
}
