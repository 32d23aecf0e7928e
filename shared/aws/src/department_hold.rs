//! The imports holding a tenant's departments: one item per tenant whose string set `jobs`
//! names them. DynamoDB drops an attribute whose set becomes empty, so "no import holds
//! them" is `attribute_not_exists(jobs)`, which a department delete checks in its
//! transaction.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
use roster_domain::ids::{ImportJobId, TenantId};
use roster_domain::store::{DepartmentHold, ImportJobStore, StoreResult};

use crate::DynamoStore;
use crate::item::key;
use crate::keys;
use crate::transaction::build_err;

impl DepartmentHold for DynamoStore {
    async fn hold_departments(&self, tenant: &TenantId, job: &ImportJobId) -> StoreResult<()> {
        self.change_hold(tenant, &job.to_string(), "ADD").await
    }

    async fn release_departments(&self, tenant: &TenantId, job: &ImportJobId) -> StoreResult<()> {
        self.change_hold(tenant, &job.to_string(), "DELETE").await
    }
}

impl DynamoStore {
    async fn change_hold(&self, tenant: &TenantId, entry: &str, action: &str) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::department_hold(tenant))))
            .update_expression(format!("{action} jobs :job"))
            .expression_attribute_values(":job", AttributeValue::Ss(vec![entry.to_owned()]))
            .send()
            .await
            .map_err(crate::classify)?;
        Ok(())
    }

    /// The transaction item of a department delete that fails while an import holds the
    /// tenant's departments.
    pub(crate) fn no_import_holds(&self, tenant: &TenantId) -> StoreResult<TransactWriteItem> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::department_hold(tenant))))
            .condition_expression("attribute_not_exists(jobs)")
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Drops the holds of jobs that are gone or have nothing left to write (a worker that
    /// died before giving its hold back); `true` when no hold is left.
    pub(crate) async fn drop_stale_holds(&self, tenant: &TenantId) -> StoreResult<bool> {
        let Some(item) = self.get_raw(keys::department_hold(tenant)).await? else {
            return Ok(true);
        };
        let jobs = match item.get("jobs") {
            Some(AttributeValue::Ss(jobs)) => jobs.clone(),
            _ => return Ok(true),
        };
        let mut left = false;
        for raw in jobs {
            let Ok(job) = ImportJobId::parse(&raw) else {
                // Not a job id, so no job holds anything by it (our code writes only ids).
                tracing::warn!("dropping a department hold entry that is not a job id");
                self.change_hold(tenant, &raw, "DELETE").await?;
                continue;
            };
            match self.get_job(tenant, &job).await? {
                Some(j) if j.has_work() => left = true,
                _ => {
                    tracing::info!(job_id = %job, "dropping the department hold of a finished import");
                    self.release_departments(tenant, &job).await?;
                }
            }
        }
        Ok(!left)
    }
}
