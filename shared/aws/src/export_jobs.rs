//! Export jobs: one item per job, read by id (never listed); the TTL removes it with its object.

use roster_domain::ids::{ExportJobId, TenantId};
use roster_domain::store::{StoreError, StoreResult};
use roster_domain::use_cases::export_job::{ExportJob, ExportJobStore};

use crate::DynamoStore;
use crate::item::{n, record_item};
use crate::keys;

const ENTITY: &str = "export_job";

impl ExportJobStore for DynamoStore {
    async fn save_export(&self, expected: u64, job: &ExportJob) -> StoreResult<()> {
        let item = record_item(job, ENTITY, keys::export_job(&job.tenant_id, &job.id))?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = if expected == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(expected))
        };
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) if crate::error::is_condition_failure(&e) => Err(StoreError::VersionMismatch),
            Err(e) => Err(crate::classify(e)),
        }
    }

    async fn get_export(
        &self,
        tenant: &TenantId,
        id: &ExportJobId,
    ) -> StoreResult<Option<ExportJob>> {
        self.get_record(keys::export_job(tenant, id), ENTITY).await
    }
}
