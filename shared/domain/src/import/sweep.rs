//! The sweep (a scheduled invocation of the worker): no job is left running forever.
//!
//! A job whose lease has expired lost its worker (out of memory, a timeout, a crash between
//! two invocations, a continuation that never arrived): it gets a continuation, and the
//! invocation that claims it resumes from the checkpoint (past
//! [`MAX_INTERRUPTIONS`](super::job::MAX_INTERRUPTIONS) deaths the claim fails it instead). A
//! job created through the API whose file never came fails once its upload link is void.

use super::files::{ContinueJob, UPLOAD_LINK_LIFETIME};
use super::job::{ImportJob, ImportStatus};
use super::runner::ImportError;
use crate::store::{ImportJobStore, StoreError};

/// How long after its link expired an upload may still arrive (a PUT started just in time).
pub const UPLOAD_GRACE_MS: i64 = 5 * 60 * 1000;

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub resumed: usize,
    pub expired: usize,
}

/// What the sweep does with one live job at `now_ms`.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Leave,
    Resume,
    Expire,
}

pub fn verdict(job: &ImportJob, now_ms: i64) -> Verdict {
    if job.status == ImportStatus::Uploading {
        let created_ms = (job.uploaded_at.unix_timestamp_nanos() / 1_000_000) as i64;
        let void_at = created_ms + UPLOAD_LINK_LIFETIME.as_millis() as i64 + UPLOAD_GRACE_MS;
        return if now_ms >= void_at {
            Verdict::Expire
        } else {
            Verdict::Leave
        };
    }
    if !job.has_work() {
        return Verdict::Leave;
    }
    match &job.lease {
        Some(lease) if lease.until_ms > now_ms => Verdict::Leave,
        _ => Verdict::Resume,
    }
}

/// Sweeps every live job of every tenant (an operator's task: the only cross-tenant read).
pub async fn sweep_jobs<S: ImportJobStore, C: ContinueJob>(
    store: &S,
    continuation: &C,
    now_ms: i64,
) -> Result<Swept, ImportError> {
    let mut swept = Swept::default();
    for mut job in store.list_live_jobs().await? {
        match verdict(&job, now_ms) {
            Verdict::Leave => {}
            Verdict::Resume => {
                if job.shares > 0 {
                    // A split job waits for its shares (swept on their own): this only
                    // makes sure a lost last message does not leave it unmerged.
                    tracing::info!(job_id = %job.id, "a split job is checked for its shares");
                } else {
                    tracing::warn!(job_id = %job.id, share = ?job.share_index(), "a job lost its worker: resumed");
                }
                continuation
                    .continue_job(&job.tenant_id, &job.id, job.share_index())
                    .await
                    .map_err(ImportError::Queue)?;
                swept.resumed += 1;
            }
            Verdict::Expire => {
                let expected = job.version;
                job.version += 1;
                job.status = ImportStatus::Failed;
                job.error = Some(
                    "no file was uploaded before the upload link expired: create the import again"
                        .into(),
                );
                match store.save_job(expected, &job).await {
                    Ok(()) => swept.expired += 1,
                    Err(StoreError::VersionMismatch) => {} // the upload came meanwhile
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Actor, ImportJobId, TenantId};
    use crate::import::job::{ImportMode, Lease, Uploader};
    use time::OffsetDateTime;

    fn job(status: ImportStatus) -> ImportJob {
        let mut job = ImportJob::new(
            ImportJobId::generate(),
            TenantId::parse("acme").unwrap(),
            "a.csv".into(),
            "imports/acme/j/a.csv".into(),
            ImportMode::Partial,
            Uploader {
                actor: Actor::new("u"),
                name: "u".into(),
                claimed_by: None,
            },
        );
        job.uploaded_at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        job.status = status;
        job
    }

    #[test]
    fn an_upload_that_never_came_expires_after_the_link_and_a_grace() {
        let waiting = job(ImportStatus::Uploading);
        let created = 1_800_000_000_000;
        let void = created + UPLOAD_LINK_LIFETIME.as_millis() as i64 + UPLOAD_GRACE_MS;
        assert_eq!(verdict(&waiting, void - 1), Verdict::Leave);
        assert_eq!(verdict(&waiting, void), Verdict::Expire);
    }

    #[test]
    fn only_jobs_without_a_live_lease_are_resumed() {
        let mut running = job(ImportStatus::InProgress);
        running.lease = Some(Lease {
            owner: "w".into(),
            until_ms: 500,
        });
        assert_eq!(verdict(&running, 499), Verdict::Leave);
        assert_eq!(verdict(&running, 500), Verdict::Resume);
        running.lease = None;
        assert_eq!(verdict(&running, 0), Verdict::Resume);
        assert_eq!(verdict(&job(ImportStatus::Completed), 0), Verdict::Leave);
    }
}
