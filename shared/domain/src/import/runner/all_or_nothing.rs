//! All or nothing: every row is checked first (stage `checking`); only a clean file is then
//! written (`writing`), and a write that still fails (a race with another writer) or a cancel
//! undoes the users this job created (`undoing`). Each stage checkpoints and hands over like
//! any pass, and the stage is on the job, so a continuation or a retry resumes where it was.
//! Welcome texts go out only once the write pass has committed.

use futures::StreamExt;

use super::judge::{Duplicates, Rules, SeenKeys, Verdict};
use super::outcome::{self, CreatedUser};
use super::source::ReadFrom;
use super::{ImportError, ImportStore, PassEnd, Run, RunOutcome, Saved};
use crate::activation::PublishActivation;
use crate::import::columns::HeaderMap;
use crate::import::files::{ContinueJob, ImportFiles};
use crate::import::job::{ImportStatus, Stage};
use crate::store::StoreError;

impl<S, F, P, C> Run<'_, S, F, P, C>
where
    S: ImportStore,
    F: ImportFiles,
    P: PublishActivation + Sync,
    C: ContinueJob,
{
    pub(super) async fn all_or_nothing(&mut self) -> Result<RunOutcome, ImportError> {
        if self.job.stage.is_none() {
            self.job.stage = Some(Stage::Checking);
        }
        if self.job.owes_undo() {
            // Cancelled between two invocations of the write pass.
            self.job.stage = Some(Stage::Undoing);
            if let Some(stop) = self.stop_unless_saved().await? {
                return Ok(stop);
            }
        }
        if self.job.stage == Some(Stage::Checking) {
            let map = match self.pass(false).await? {
                PassEnd::Done(map) => map,
                PassEnd::Stopped(outcome) => return Ok(outcome),
            };
            let failed = self.job.counts.problems();
            if failed > 0 {
                self.job.error = Some(format!(
                    "{failed} rows have errors, so nothing was imported (all_or_nothing): fix them and upload the file again"
                ));
                return self.finish(map).await;
            }
            // Every row is clean: write for real from the top.
            self.job.stage = Some(Stage::Writing);
            self.job.next_row = 0;
            self.job.counts.created = 0;
            self.job.counts.updated = 0;
            if let Some(stop) = self.stop_unless_saved().await? {
                return Ok(stop);
            }
        }
        if self.job.stage == Some(Stage::Writing) {
            let map = match self.pass(true).await? {
                PassEnd::Done(map) => map,
                PassEnd::Stopped(outcome) => return Ok(outcome),
            };
            if self.job.counts.failed + self.job.counts.conflicts > 0 {
                self.job.stage = Some(Stage::Undoing);
                if let Some(stop) = self.stop_unless_saved().await? {
                    return Ok(stop);
                }
                return self.undo().await;
            }
            // Committed: now the welcome texts (the sender drops a request it has seen).
            let created = outcome::created_users(self.files(), &self.job).await?;
            self.request_welcome_texts(&created).await;
            return self.finish(map).await;
        }
        self.undo().await
    }

    /// This job's users from the chunk after the checkpoint: an invocation that died while
    /// writing it had not recorded their ids yet (a chunk's ids are kept once it is written).
    /// Found by the logins of the chunk's valid rows.
    async fn unrecorded_users(&self) -> Result<Vec<CreatedUser>, ImportError> {
        let from = self.job.next_row;
        if from >= self.job.counts.total {
            return Ok(vec![]);
        }
        let to = from + self.importer.config.chunk_rows as u64;
        let mut stream = self.stream(ReadFrom::Top).await?;
        let mut map: Option<HeaderMap> = None;
        // Not the file's first occurrences: a row repeating an earlier one names that row's
        // user, also this job's, so judging the chunk alone is enough.
        let mut seen = Duplicates::Tracked(SeenKeys::default());
        let mut index = 0;
        let mut logins = Vec::new();
        'read: while let Some(batch) = stream.next().await {
            for (event, _) in batch {
                let (Some(row), Some(header)) = (self.data_row(event, &mut map), &map) else {
                    continue;
                };
                index += 1;
                if index <= from {
                    continue;
                }
                if index > to {
                    break 'read;
                }
                let rules = Rules {
                    map: header,
                    settings: &self.writer.settings,
                    directory: &self.writer.directory,
                };
                if let Verdict::Valid(both) = rules.judge(&row, &mut seen) {
                    logins.push(both.0.profile.login);
                }
            }
        }
        let _ = stream.close().await;
        let mut users = Vec::new();
        for login in logins {
            let found = self
                .store()
                .find_by_login(&self.job.tenant_id, login.as_str());
            if let Some(user) = found.await?
                && user.created.by == self.writer.actor
            {
                users.push(CreatedUser {
                    id: user.id,
                    send_text: false,
                });
            }
        }
        Ok(users)
    }

    /// Deletes every user this job recorded as created. A user that cannot be deleted now
    /// fails the invocation (the retry resumes the undo); the job says so meanwhile.
    pub(super) async fn undo(&mut self) -> Result<RunOutcome, ImportError> {
        let mut created = outcome::created_users(self.files(), &self.job).await?;
        created.extend(self.unrecorded_users().await?);
        // A chunk recorded just before a crash is also the chunk after the checkpoint.
        created.sort_by_key(|c| c.id);
        created.dedup_by_key(|c| c.id);
        let store = self.store();
        let tenant = &self.job.tenant_id;
        let actor = &self.writer.actor;
        let results: Vec<Result<(), StoreError>> = futures::stream::iter(created)
            .map(|CreatedUser { id, .. }| async move {
                match store.get_user(tenant, &id).await? {
                    // Only this job's own users: never one somebody made meanwhile.
                    Some(user) if &user.created.by == actor => store.delete_user(&user).await,
                    _ => Ok(()),
                }
            })
            .buffer_unordered(self.importer.config.write_concurrency.max(1))
            .collect()
            .await;
        let left = results.iter().filter(|r| r.is_err()).count();
        if left > 0 {
            self.job.error = Some(format!(
                "{left} users of this import are not removed yet (all_or_nothing); the removal is retried"
            ));
            self.stop_unless_saved().await?;
            return Err(ImportError::Undo(left));
        }
        self.job.counts.created = 0;
        if self.job.status == ImportStatus::Cancelled {
            self.job.error = Some(
                "the import was cancelled, so every user it had created was removed again (all_or_nothing)"
                    .into(),
            );
            self.job.stage = None;
            self.job.lease = None;
            return Ok(match self.store_progress().await? {
                Saved::Yes => {
                    outcome::drop_kept_rows(self.files(), &self.job).await;
                    RunOutcome::Finished(ImportStatus::Cancelled)
                }
                _ => RunOutcome::Skipped("another invocation took over the job"),
            });
        }
        self.job.error = Some(
            "a row failed while writing, so every user of this import was removed again (all_or_nothing)"
                .into(),
        );
        self.finish(None).await
    }
}
