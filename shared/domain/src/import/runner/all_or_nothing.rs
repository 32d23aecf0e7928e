//! All or nothing: a dry run first; only a clean file is then written, and a write that still
//! fails (a race with another writer) undoes the users this job created.

use super::{ImportError, ImportStore, Run, RunOutcome};
use crate::activation::PublishActivation;
use crate::import::files::{ContinueJob, ImportFiles};
use crate::import::job::ImportStatus;
use crate::store::UserQuery;

impl<S, F, P, C> Run<'_, S, F, P, C>
where
    S: ImportStore,
    F: ImportFiles,
    P: PublishActivation + Sync,
    C: ContinueJob,
{
    pub(super) async fn all_or_nothing(&mut self) -> Result<RunOutcome, ImportError> {
        if self.job.next_row == 0 {
            let dry = self.pass(false).await?;
            if !matches!(dry, RunOutcome::Finished(_)) {
                return Ok(dry);
            }
            let failed = self.job.counts.problems();
            if failed > 0 {
                self.job.status = ImportStatus::Failed;
                self.job.error = Some(format!(
                    "{failed} rows have errors, so nothing was imported (all_or_nothing): fix them and upload the file again"
                ));
                self.save().await?;
                return Ok(RunOutcome::Finished(ImportStatus::Failed));
            }
            // Dry run passed: write for real from the top.
            self.job.status = ImportStatus::InProgress;
            self.job.next_row = 0;
            self.job.counts.created = 0;
            self.job.counts.updated = 0;
            self.job.report_key = None;
            self.save().await?;
        }
        let outcome = self.pass(true).await?;
        if self.job.counts.failed + self.job.counts.conflicts > 0 {
            self.undo().await?;
        }
        Ok(outcome)
    }

    /// Deletes every user this job created.
    async fn undo(&mut self) -> Result<(), ImportError> {
        let mut query = UserQuery {
            limit: 200,
            ..Default::default()
        };
        let mut mine = Vec::new();
        loop {
            let page = self.store().list_users(&self.job.tenant_id, &query).await?;
            mine.extend(
                page.items
                    .into_iter()
                    .filter(|u| u.created.by == self.writer.actor),
            );
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        for user in mine {
            self.store().delete_user(&user).await?;
        }
        self.job.counts.created = 0;
        self.job.status = ImportStatus::Failed;
        self.job.error = Some("a row failed while writing, so every user of this import was removed again (all_or_nothing)".into());
        self.save().await?;
        Ok(())
    }
}
