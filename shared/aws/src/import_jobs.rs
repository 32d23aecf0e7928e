//! Import jobs: one item per job, listed by upload time through `by_tenant`; a job split
//! across workers has one more item per share beside it.

use roster_domain::ids::{ImportJobId, TenantId};
use roster_domain::import::job::ImportJob;
use roster_domain::store::{ImportJobStore, ImportShareStore, StoreError, StoreResult};
use time::OffsetDateTime;

use crate::DynamoStore;
use crate::item::{Item, from_item, record_item, s};
use crate::keys;

const ENTITY: &str = "import_job";

impl DynamoStore {
    fn job_item(&self, job: &ImportJob) -> StoreResult<Item> {
        let share = job.share_index();
        let primary = match share {
            Some(k) => keys::import_share(&job.tenant_id, &job.id, k),
            None => keys::import_job(&job.tenant_id, &job.id),
        };
        let mut item = record_item(job, ENTITY, primary)?;
        if share.is_none() {
            item.insert(
                keys::BY_TENANT.pk.to_owned(),
                s(keys::jobs_partition(&job.tenant_id)),
            );
            item.insert(
                keys::BY_TENANT.sk.to_owned(),
                s(keys::job_list_sort_key(job.uploaded_at, &job.id)),
            );
        }
        // Sparse: only jobs (and shares) with work left are in the sweep's list.
        if job.has_work() {
            let (pk, sk) = keys::live_job(&job.tenant_id, &job.id, share);
            item.insert(keys::BY_DEPARTMENT.pk.to_owned(), s(pk));
            item.insert(keys::BY_DEPARTMENT.sk.to_owned(), s(sk));
        }
        Ok(item)
    }
}

impl DynamoStore {
    /// Writes a new job or share record (`AlreadyExists` when it is there).
    async fn insert_job_item(&self, job: &ImportJob) -> StoreResult<()> {
        let item = self.job_item(job)?;
        self.put_record(
            item,
            Some("attribute_not_exists(pk)"),
            StoreError::AlreadyExists,
        )
        .await
    }
}

impl ImportShareStore for DynamoStore {
    async fn create_share(&self, share: &ImportJob) -> StoreResult<()> {
        self.insert_job_item(share).await
    }

    async fn get_share(
        &self,
        tenant: &TenantId,
        id: &ImportJobId,
        index: u32,
    ) -> StoreResult<Option<ImportJob>> {
        self.get_record(keys::import_share(tenant, id, index), ENTITY)
            .await
    }
}

impl ImportJobStore for DynamoStore {
    async fn create_job(&self, job: &ImportJob) -> StoreResult<()> {
        self.insert_job_item(job).await
    }

    async fn get_job(&self, tenant: &TenantId, id: &ImportJobId) -> StoreResult<Option<ImportJob>> {
        self.get_record(keys::import_job(tenant, id), ENTITY).await
    }

    async fn save_job(&self, expected_version: u64, job: &ImportJob) -> StoreResult<()> {
        let item = self.job_item(job)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(pk) AND (version = :expected OR (attribute_not_exists(version) AND :expected = :zero))")
            .expression_attribute_values(":expected", crate::item::n(expected_version))
            .expression_attribute_values(":zero", crate::item::n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if crate::error::is_condition_failure(&e) => Err(StoreError::VersionMismatch),
            Err(e) => Err(crate::classify(e)),
        }
    }

    async fn list_live_jobs(&self) -> StoreResult<Vec<ImportJob>> {
        let items = self
            .query_all(
                Some(keys::BY_DEPARTMENT.name),
                keys::BY_DEPARTMENT.pk,
                keys::live_job_partition().to_owned(),
                None,
            )
            .await?;
        items.into_iter().map(|i| from_item(i, ENTITY)).collect()
    }

    async fn list_jobs(
        &self,
        tenant: &TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<ImportJob>> {
        // `to` is exclusive: stop just before its first millisecond.
        let range = (keys::sortable_time(from), keys::sortable_time(to));
        let items = self
            .query_all(
                Some(keys::BY_TENANT.name),
                keys::BY_TENANT.pk,
                keys::jobs_partition(tenant),
                Some((keys::BY_TENANT.sk, range.0.clone(), range.1.clone())),
            )
            .await?;
        items
            .into_iter()
            .filter(|i| {
                crate::item::string_attr(i, keys::BY_TENANT.sk)
                    .is_some_and(|sk| sk < range.1.as_str())
            })
            .map(|i| from_item(i, ENTITY))
            .collect()
    }
}
