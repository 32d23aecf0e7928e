//! Runs one import job: reads the file row by row, validates each row with the validation
//! every entry point uses, writes users in concurrent batches, reports failed rows, and
//! checkpoints after every chunk so that a job that outlives its invocation continues in the
//! next one without losing or duplicating a row.
//!
//! Resumption is idempotent: rows before the checkpoint are only re-read (to rebuild the
//! in-file duplicate sets; a share of a split job has its duplicates from the split's plan
//! and skips them unjudged), and a row whose user was already written by this job before a
//! crash is recognised by its creator (`import:{job}`) instead of being reported as a conflict.
//!
//! The parts: [`source`] streams the file, [`judge`] decides about a row without I/O,
//! [`write`] writes it, [`all_or_nothing`] adds the dry run and the undo, [`outcome`] keeps
//! failed rows and writes the reports and summary. This module runs the passes.

mod all_or_nothing;
mod first_rows;
mod judge;
mod outcome;
mod pace;
mod source;
mod write;

use std::time::{Duration, Instant};

use futures::StreamExt;

use self::judge::{Duplicates, Rules, Verdict};
use self::outcome::{CreatedUser, ShareDuplicates};
use self::pace::Pace;
use self::source::{ReadFrom, SheetStream, Source};
use self::write::{RowWriter, Written};
use super::columns::{Column, HeaderMap};
use super::directory::ImportDirectory;
use super::files::{ContinueJob, ImportFiles, ObjectRef};
use super::report::{FailedRow, TextEncoding};
use super::sheet::{
    CsvDialect, CsvStart, FileFormat, MAX_FILE_BYTES, MAX_ROW_CELLS, MAX_ROWS, Row, SheetEvent,
};
use crate::activation::{ActivationRequest, ActivationState, PublishActivation};
use crate::ids::{ImportJobId, TenantId};
use crate::import::job::{
    Claim, ImportJob, ImportMode, ImportStatus, Lease, RecordStart, SharePlan, Stage, now_ms,
    split_rows,
};
use crate::password::HashError;
use crate::pick_list::{PickListKind, pick_list};
use crate::store::{ImportJobStore, ImportShareStore, StoreError};
use crate::validation::{UserDraft, ValidUser};

pub use self::judge::RowChecker;
pub use self::write::import_actor;
pub use crate::store::ImportStore;

#[derive(Debug, Clone)]
pub struct ImportConfig {
    /// Rows validated and written between checkpoints.
    pub chunk_rows: usize,
    /// Concurrent user writes.
    pub write_concurrency: usize,
    /// When this invocation must hand over (its deadline minus a safety margin).
    pub hand_over_at: Option<Instant>,
    /// This invocation's id: the owner of the leases it takes.
    pub invocation: String,
    /// How long a lease holds without renewal (it is renewed at every checkpoint).
    pub lease: Duration,
    /// The error reports are uploaded in parts of this size (≥ 5 MiB on S3).
    pub report_part_bytes: usize,
    /// Workers one `partial` or `upsert` job is split across at most (1: never split).
    pub workers_per_job: u32,
    /// Rows each of those workers gets at least: smaller files are not split.
    pub rows_per_worker: u64,
}

impl Default for ImportConfig {
    fn default() -> Self {
        Self {
            chunk_rows: 500,
            write_concurrency: 8,
            hand_over_at: None,
            invocation: ulid::Ulid::new().to_string(),
            lease: Duration::from_secs(5 * 60),
            report_part_bytes: crate::upload::PART_BYTES,
            workers_per_job: 1,
            rows_per_worker: 25_000,
        }
    }
}

impl ImportConfig {
    /// The same pacing for another invocation (its own lease owner).
    pub fn for_invocation(&self, hand_over_at: Option<Instant>) -> Self {
        Self {
            hand_over_at: hand_over_at.or(self.hand_over_at),
            invocation: ulid::Ulid::new().to_string(),
            ..self.clone()
        }
    }

    fn lease_ms(&self) -> i64 {
        self.lease.as_millis() as i64
    }
}

/// How long a released lease keeps the sweeper away: the retry or continuation that released
/// it normally arrives first.
pub const RELEASE_GRACE_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    Finished(ImportStatus),
    /// Checkpointed and handed over to a new invocation.
    Continued,
    /// Nothing to do (already finished, cancelled, or being run elsewhere).
    Skipped(&'static str),
}

/// A failure worth retrying the invocation for. Row problems are never errors: they go to
/// the report.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("import bucket: {0}")]
    Bucket(String),
    #[error("continuation queue: {0}")]
    Queue(String),
    #[error("failed rows could not be encoded or decoded: {0}")]
    FailedRows(#[from] serde_json::Error),
    #[error("{0}")]
    Hashing(#[from] HashError),
    #[error("the error report could not be written: {0}")]
    Report(String),
    #[error("{0} users of an all_or_nothing import could not be removed yet")]
    Undo(usize),
}

/// What running a job needs: storage, the bucket, activation publishing and the continuation
/// queue, and how to pace the work.
pub struct Importer<'a, S, F, P, C> {
    pub store: &'a S,
    pub files: &'a F,
    pub publisher: &'a P,
    pub continuation: &'a C,
    pub config: &'a ImportConfig,
}

/// The stored record of a job (`share: None`) or of one of its shares.
async fn load<S: ImportJobStore + ImportShareStore>(
    store: &S,
    tenant: &TenantId,
    id: &ImportJobId,
    share: Option<u32>,
) -> Result<Option<ImportJob>, StoreError> {
    match share {
        Some(k) => store.get_share(tenant, id, k).await,
        None => store.get_job(tenant, id).await,
    }
}

/// Saves the job on its current version; `false` when someone else changed it meanwhile.
/// The version moves only when the save did.
async fn save<S: ImportJobStore + ImportShareStore>(
    store: &S,
    job: &mut ImportJob,
) -> Result<bool, ImportError> {
    let expected = job.version;
    job.version += 1;
    match store.save_job(expected, job).await {
        Ok(()) => Ok(true),
        Err(StoreError::VersionMismatch) => {
            // A save DynamoDB applied but whose answer was lost, sent again by the SDK, meets
            // its own version: the stored job is then exactly this one.
            let stored = load(store, &job.tenant_id, &job.id, job.share_index()).await?;
            if stored.as_ref() == Some(&*job) {
                return Ok(true);
            }
            job.version = expected;
            Ok(false)
        }
        Err(e) => {
            job.version = expected;
            Err(e.into())
        }
    }
}

/// A lease given back: nobody holds the job, and the sweeper waits [`RELEASE_GRACE_MS`].
fn released(now_ms: i64) -> Option<Lease> {
    Some(Lease {
        owner: String::new(),
        until_ms: now_ms + RELEASE_GRACE_MS,
    })
}

/// Gives the job back after a failed invocation, counting the failure, so the retry that
/// Lambda (or the sweeper) makes resumes it at once.
pub async fn release_after_error<S: ImportJobStore + ImportShareStore>(
    store: &S,
    tenant: &TenantId,
    id: &ImportJobId,
    share: Option<u32>,
    owner: &str,
) {
    let outcome = async {
        let Some(mut job) = load(store, tenant, id, share).await? else {
            return Ok::<_, ImportError>(());
        };
        if job.held_by(owner) {
            job.lease = released(now_ms());
            job.interruptions += 1;
            save(store, &mut job).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(job_id = %id, error = %e, "lease not released; it expires on its own");
    }
}

async fn fail<S: ImportJobStore + ImportShareStore>(
    store: &S,
    job: &mut ImportJob,
    why: &str,
) -> Result<RunOutcome, ImportError> {
    tracing::warn!(job_id = %job.id, reason = why, "import failed");
    job.status = ImportStatus::Failed;
    job.error = Some(why.to_owned());
    job.lease = None;
    save(store, job).await?;
    Ok(RunOutcome::Finished(ImportStatus::Failed))
}

impl<S, F, P, C> Importer<'_, S, F, P, C>
where
    S: ImportStore,
    F: ImportFiles,
    P: PublishActivation + Sync,
    C: ContinueJob,
{
    /// Runs a job from the continuation queue: a proceeded dry run (`queued`) is claimed
    /// here; an `in_progress` one continues from its checkpoint. `share` runs one share of a
    /// job split across workers; the job itself is merged once all its shares have finished.
    pub async fn run(
        &self,
        tenant: &TenantId,
        id: &ImportJobId,
        share: Option<u32>,
    ) -> Result<RunOutcome, ImportError> {
        let Some(main) = self.store.get_job(tenant, id).await? else {
            return Ok(RunOutcome::Skipped("no such job"));
        };
        let mut job = match share {
            None if main.shares > 0 && !main.status.is_terminal() => {
                if self.shares_running(&main).await? {
                    return Ok(RunOutcome::Skipped("its shares are still running"));
                }
                main
            }
            None => main,
            Some(k) => {
                let Some(share) = self.store.get_share(tenant, id, k).await? else {
                    return Ok(RunOutcome::Skipped("no such share"));
                };
                if !share.has_work() {
                    share
                } else if !main.has_work() {
                    return self.end_share(share, main.status).await;
                } else if main.shares == 0 && main.next_row == 0 && main.stage.is_none() {
                    // Made by a split that has not been saved yet (or is being retried).
                    return Ok(RunOutcome::Skipped("the job is not split yet"));
                } else if k >= main.shares {
                    // Left by a split that a retry made differently: the job has its rows.
                    return self.end_share(share, ImportStatus::Cancelled).await;
                } else {
                    share
                }
            }
        };
        if job.status == ImportStatus::Uploading {
            return Ok(RunOutcome::Skipped("the file has not been uploaded yet"));
        }
        match job.claim(&self.config.invocation, now_ms(), self.config.lease_ms()) {
            Claim::Finished => {
                // Cancelled between two invocations, say: nothing gave the hold back yet.
                self.release_departments(&job).await;
                // A share finished, but its call for the merge may have been lost.
                self.ask_for_merge(&job).await?;
                Ok(RunOutcome::Skipped("the job has already finished"))
            }
            Claim::Busy => Ok(RunOutcome::Skipped("another invocation is running the job")),
            Claim::GiveUp(why) => {
                job.lease = None;
                let outcome = fail(self.store, &mut job, &why).await;
                self.release_departments(&job).await;
                self.ask_for_merge(&job).await?;
                outcome
            }
            Claim::Take => {
                if !save(self.store, &mut job).await? {
                    return Ok(RunOutcome::Skipped("another invocation took the job"));
                }
                self.run_claimed(job).await
            }
        }
    }

    /// Whether a share of this split job still has work (strongly consistent reads: the
    /// last share to finish asks for the merge only after saving itself).
    async fn shares_running(&self, job: &ImportJob) -> Result<bool, ImportError> {
        for k in 0..job.shares {
            let share = self.store.get_share(&job.tenant_id, &job.id, k).await?;
            if share.is_none_or(|s| s.has_work()) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A share of a job that was cancelled (or failed) meanwhile ends as the job did, and
    /// leaves the sweep's list.
    async fn end_share(
        &self,
        mut share: ImportJob,
        status: ImportStatus,
    ) -> Result<RunOutcome, ImportError> {
        share.status = status;
        share.lease = None;
        save(self.store, &mut share).await?;
        if let Some(main) = self.store.get_job(&share.tenant_id, &share.id).await? {
            self.release_departments(&main).await;
        }
        Ok(RunOutcome::Skipped("the job has already finished"))
    }

    /// Runs a job this invocation claimed (its lease saved on its version). A failure gives
    /// the lease back, so the retry resumes from the checkpoint.
    pub async fn run_claimed(&self, job: ImportJob) -> Result<RunOutcome, ImportError> {
        let (tenant, id, share) = (job.tenant_id.clone(), job.id, job.share_index());
        // Boxed: the run is a deep future, and callers should not carry its layout.
        let outcome = Box::pin(self.run_held(job)).await;
        match &outcome {
            Err(_) => {
                let owner = &self.config.invocation;
                release_after_error(self.store, &tenant, &id, share, owner).await
            }
            Ok(RunOutcome::Finished(_)) => {
                if let Some(job) = self.store.get_job(&tenant, &id).await.ok().flatten() {
                    self.release_departments(&job).await;
                }
            }
            Ok(_) => {}
        }
        outcome
    }

    /// Gives back the job's hold on the departments once it has nothing left to write. A
    /// hold that stays (this fails) only delays department deletes: they drop holds of
    /// finished jobs themselves.
    async fn release_departments(&self, job: &ImportJob) {
        // Only the job's own end gives it back: other shares may still be writing.
        if job.has_work() || job.share.is_some() {
            return;
        }
        if let Err(e) = self
            .store
            .release_departments(&job.tenant_id, &job.id)
            .await
        {
            tracing::warn!(job_id = %job.id, error = %e, "the hold on the departments was not given back");
        }
    }

    /// A share that has finished asks the job to merge (after saving itself, so the merge
    /// that this triggers sees it finished).
    async fn ask_for_merge(&self, job: &ImportJob) -> Result<(), ImportError> {
        if job.share.is_none() {
            return Ok(());
        }
        self.continuation
            .continue_job(&job.tenant_id, &job.id, None)
            .await
            .map_err(ImportError::Queue)
    }

    async fn run_held(&self, mut job: ImportJob) -> Result<RunOutcome, ImportError> {
        let pinned = ObjectRef::pinned(&job.object_key, job.object_version.as_deref());
        let object = match self.files.head(pinned).await.map_err(ImportError::Bucket)? {
            Some(o) => o,
            None => return fail(self.store, &mut job, "the uploaded file no longer exists").await,
        };
        if object.size > MAX_FILE_BYTES {
            let why = format!("the file is larger than {} MB", MAX_FILE_BYTES >> 20);
            return fail(self.store, &mut job, &why).await;
        }
        let source =
            Source::open(self.files, pinned, FileFormat::from_name(&job.object_key)).await?;
        let tenant = job.tenant_id.clone();
        // Before the departments are read: a delete that ran first is not in the list, one
        // that runs later sees the hold and is refused.
        if job.mode != ImportMode::ValidateOnly {
            self.store.hold_departments(&tenant, &job.id).await?;
        }
        let departments = self.store.list_departments(&tenant).await?;
        let locations = self
            .store
            .list_entries(&tenant, PickListKind::Location)
            .await?;
        let job_descriptions = self
            .store
            .list_entries(&tenant, PickListKind::JobDescription)
            .await?;
        let writer = RowWriter {
            store: self.store,
            actor: import_actor(&job.id),
            settings: self.store.get_settings(&tenant).await?,
            directory: ImportDirectory::new(
                &departments,
                pick_list(&locations),
                pick_list(&job_descriptions),
            )
            .with_groups(&self.store.list_groups(&tenant).await?),
            tenant,
        };
        let mut run = Run {
            importer: self,
            writer,
            source,
            object_size: object.size,
            job,
            password_column: None,
            pace: Pace::new(self.config.write_concurrency),
        };
        run.execute().await
    }
}

/// Warnings a job lists at most one by one; the rest are counted ("and 3,412 more"), so a
/// sheet with thousands of stray columns cannot grow the job record past its size limit.
pub const MAX_LISTED_WARNINGS: usize = 20;

/// "column 'x' is not a user field…", capped at [`MAX_LISTED_WARNINGS`], names cut short.
fn ignored_column_warnings<T: AsRef<str>>(ignored: &[T]) -> Vec<String> {
    let mut warnings: Vec<String> = ignored
        .iter()
        .take(MAX_LISTED_WARNINGS)
        .map(|h| {
            let name: String = h.as_ref().chars().take(60).collect();
            format!("column '{name}' is not a user field and was ignored")
        })
        .collect();
    if ignored.len() > MAX_LISTED_WARNINGS {
        warnings.push(format!(
            "and {} more columns that are not user fields were ignored",
            ignored.len() - MAX_LISTED_WARNINGS
        ));
    }
    warnings
}

/// One invocation's work on one job, with everything resolved once.
struct Run<'a, S, F, P, C> {
    importer: &'a Importer<'a, S, F, P, C>,
    writer: RowWriter<'a, S>,
    source: Source,
    object_size: u64,
    job: ImportJob,
    /// Where the file keeps passwords: masked before failed rows are stored.
    password_column: Option<usize>,
    pace: Pace,
}

/// How writing a chunk ended.
enum ChunkEnd {
    /// Every row written (or refused) and the checkpoint moved past the chunk.
    Written,
    /// Throttled until the invocation ran out of time: nothing of the chunk is counted, and
    /// the next invocation writes it again (rows already written are recognised as the job's).
    OutOfTime,
}

/// A valid row's user, and the draft an upsert lays over an existing user.
type ValidRow = Box<(ValidUser, UserDraft)>;

/// What saving progress found.
enum Saved {
    Yes,
    /// An admin cancelled the job; `current` is the stored job.
    Cancelled(Box<ImportJob>),
    /// Another invocation holds the job now: this one must stop at once.
    Lost,
}

/// How a pass over the file ended.
enum PassEnd {
    /// The last row was handled.
    Done(Option<HeaderMap>),
    /// The invocation stops here (handed over, cancelled, or lost the job).
    Stopped(RunOutcome),
}

impl<S, F, P, C> Run<'_, S, F, P, C>
where
    S: ImportStore,
    F: ImportFiles,
    P: PublishActivation + Sync,
    C: ContinueJob,
{
    fn store(&self) -> &S {
        self.importer.store
    }

    fn files(&self) -> &F {
        self.importer.files
    }

    async fn stream(&self, from: ReadFrom) -> Result<SheetStream, ImportError> {
        let object = ObjectRef::pinned(&self.job.object_key, self.job.object_version.as_deref());
        SheetStream::open(self.importer.files, object, &self.source, from).await
    }

    /// Saves the job on its version; `false` when someone else changed it meanwhile.
    async fn save(&mut self) -> Result<bool, ImportError> {
        save(self.importer.store, &mut self.job).await
    }

    async fn fail(&mut self, why: &str) -> Result<RunOutcome, ImportError> {
        fail(self.importer.store, &mut self.job, why).await
    }

    async fn execute(&mut self) -> Result<RunOutcome, ImportError> {
        if self.job.share.is_some() {
            return match self.pass(true).await? {
                PassEnd::Done(_) => self.finish_share().await,
                PassEnd::Stopped(outcome) => Ok(outcome),
            };
        }
        if self.job.shares > 0 {
            return self.merge().await;
        }
        // First invocation: check the whole file (header, row count) before any write.
        if self.job.next_row == 0 && self.job.counts.total == 0 && self.job.stage.is_none() {
            outcome::clear_reports(self.files(), &self.job).await?;
            if let Err(why) = self.survey().await? {
                return self.fail(&why).await;
            }
        }
        // Nothing is checkpointed yet (a retry of a split that failed half-way splits again).
        if self.job.next_row == 0
            && self.job.stage.is_none()
            && let Some(outcome) = self.fan_out().await?
        {
            return Ok(outcome);
        }
        match self.job.mode {
            ImportMode::Partial | ImportMode::Upsert => self.pass_then_finish(true).await,
            ImportMode::ValidateOnly => self.pass_then_finish(false).await,
            ImportMode::AllOrNothing => self.all_or_nothing().await,
        }
    }

    async fn pass_then_finish(&mut self, write: bool) -> Result<RunOutcome, ImportError> {
        match self.pass(write).await? {
            PassEnd::Done(map) => self.finish(map).await,
            PassEnd::Stopped(outcome) => Ok(outcome),
        }
    }

    /// Splits a surveyed `partial` or `upsert` job that is large enough across workers: one
    /// share record per range of rows, each continued on the queue. `None`: run it as one.
    /// A retry after a crash finds the shares it already made and makes the rest.
    async fn fan_out(&mut self) -> Result<Option<RunOutcome>, ImportError> {
        let config = self.importer.config;
        if !matches!(self.job.mode, ImportMode::Partial | ImportMode::Upsert) {
            return Ok(None);
        }
        let ranges = split_rows(
            self.job.counts.total,
            config.workers_per_job,
            config.rows_per_worker,
        );
        if ranges.len() < 2 {
            return Ok(None);
        }
        let plans = match self.plan_shares(&ranges).await? {
            Ok(plans) => plans,
            Err(why) => return self.fail(&why).await.map(Some),
        };
        for ((k, rows), plan) in ranges.iter().enumerate().zip(plans) {
            let mut share = self.job.share_record(k as u32, rows.clone(), Some(plan));
            // Kept from the sweep until the job says it is split (and sends the messages).
            share.lease = released(now_ms());
            match self.store().create_share(&share).await {
                Ok(()) | Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.job.shares = ranges.len() as u32;
        self.job.lease = None;
        if let Some(stop) = self.stop_unless_saved().await? {
            return Ok(Some(stop));
        }
        // A message lost here is made good by the sweep: the shares are on its list.
        for k in 0..self.job.shares {
            self.importer
                .continuation
                .continue_job(&self.job.tenant_id, &self.job.id, Some(k))
                .await
                .map_err(ImportError::Queue)?;
        }
        tracing::info!(job_id = %self.job.id, shares = self.job.shares, rows = self.job.counts.total, "import split across workers");
        Ok(Some(RunOutcome::Continued))
    }

    /// Reads the whole file once before a split, judging every row as the job will: each
    /// share's duplicate rows (kept in the bucket) and where its first row starts, so a
    /// share reads only its own rows. `Err`: the file cannot be read (the job fails).
    async fn plan_shares(
        &mut self,
        ranges: &[std::ops::Range<u64>],
    ) -> Result<Result<Vec<SharePlan>, String>, ImportError> {
        let mut stream = self.stream(ReadFrom::Top).await?;
        let mut map: Option<HeaderMap> = None;
        let mut seen = Duplicates::for_rows(self.job.counts.total);
        let mut starts: Vec<Option<RecordStart>> = vec![None; ranges.len()];
        let mut counts = vec![0; ranges.len()];
        let mut duplicates: ShareDuplicates = Vec::new();
        let (mut share, mut index) = (0, 0);
        while let Some(batch) = stream.next().await {
            for (event, byte) in batch {
                let (Some(row), Some(header)) = (self.data_row(event, &mut map), &map) else {
                    continue;
                };
                while share + 1 < ranges.len() && index >= ranges[share].end {
                    counts[share] = self.keep_duplicates(share, &mut duplicates).await?;
                    share += 1;
                }
                if index == ranges[share].start {
                    starts[share] = Some(RecordStart {
                        byte,
                        row: row.number,
                    });
                }
                index += 1;
                let rules = Rules {
                    map: header,
                    settings: &self.writer.settings,
                    directory: &self.writer.directory,
                };
                if let Verdict::Duplicate(errors) = rules.judge(&row, &mut seen) {
                    duplicates.push((row.number, errors));
                }
            }
        }
        let read = match stream.close().await {
            Ok(read) => read,
            Err(e) => return Ok(Err(e.0)),
        };
        counts[share] = self.keep_duplicates(share, &mut duplicates).await?;
        // Record starts are places in the decoded text: bytes of the file only when the
        // text is the file's own bytes (after its byte-order mark).
        let offset = read
            .filter(|r| r.offsets_are_file_bytes(self.object_size))
            .map(|r| u64::from(r.dialect.bom_bytes));
        Ok(Ok(starts
            .into_iter()
            .zip(counts)
            .enumerate()
            .map(|(k, (start, duplicates))| SharePlan {
                // The first share starts at the top, with the header.
                start: offset.filter(|_| k > 0).and(start).map(|s| RecordStart {
                    byte: s.byte + offset.unwrap_or(0),
                    row: s.row,
                }),
                duplicates,
            })
            .collect()))
    }

    /// A data row once the file's header is known; a header sets `map` (`None` when it
    /// does not map to user fields, so the rows after it are not judged).
    fn data_row(&self, event: SheetEvent, map: &mut Option<HeaderMap>) -> Option<Row> {
        match event {
            SheetEvent::Header(cells) => {
                *map = HeaderMap::for_policy(&cells, &self.writer.settings).ok();
                None
            }
            SheetEvent::Row(row) => map.is_some().then_some(row),
        }
    }

    /// Keeps one share's duplicate rows, if it has any, and says how many.
    async fn keep_duplicates(
        &self,
        share: usize,
        rows: &mut ShareDuplicates,
    ) -> Result<u64, ImportError> {
        let count = rows.len() as u64;
        if count > 0 {
            outcome::keep_share_duplicates(self.files(), &self.job, share as u32, rows).await?;
            rows.clear();
        }
        Ok(count)
    }

    /// How a share reads: from its first row when the plan found where it starts (with the
    /// header read first), else from the top; and how it tells duplicates.
    async fn share_reading(&self) -> Result<(ReadFrom, Duplicates), ImportError> {
        let Some(share) = self.job.share else {
            return Ok((ReadFrom::Top, Duplicates::for_rows(self.job.counts.total)));
        };
        let Some(plan) = share.plan else {
            return Ok((ReadFrom::Top, Duplicates::for_rows(share.end_row)));
        };
        let known = if plan.duplicates > 0 {
            outcome::share_duplicates(self.files(), &self.job, share.index).await?
        } else {
            Vec::new()
        };
        let from = match plan.start {
            Some(start) => ReadFrom::Record {
                byte: start.byte,
                start: CsvStart::Record {
                    dialect: CsvDialect {
                        delimiter: self.job.csv_delimiter.unwrap_or(b','),
                        encoding: encoding_rs::UTF_8,
                        bom_bytes: 0,
                    },
                    row: start.row,
                },
            },
            None => ReadFrom::Top,
        };
        Ok((from, Duplicates::Known(known.into_iter().collect())))
    }

    /// A share has written its rows: it says so on its record, then asks for the merge.
    async fn finish_share(&mut self) -> Result<RunOutcome, ImportError> {
        self.job.status = ImportStatus::Completed;
        self.job.progress = 100;
        self.job.lease = None;
        if let Some(stop) = self.stop_unless_saved().await? {
            return Ok(stop);
        }
        tracing::info!(job_id = %self.job.id, share = ?self.job.share_index(), "share finished");
        self.importer.ask_for_merge(&self.job).await?;
        Ok(RunOutcome::Finished(ImportStatus::Completed))
    }

    /// Every share has finished (the caller checked): their counts and warnings become the
    /// job's, once, since closing the job is a save on its version.
    async fn merge(&mut self) -> Result<RunOutcome, ImportError> {
        let mut shares = Vec::with_capacity(self.job.shares as usize);
        for k in 0..self.job.shares {
            let tenant = &self.job.tenant_id;
            if let Some(share) = self.store().get_share(tenant, &self.job.id, k).await? {
                shares.push(share);
            }
        }
        match self.job.merge_shares(&shares) {
            None => {
                self.job.lease = None;
                Ok(self
                    .stop_unless_saved()
                    .await?
                    .unwrap_or(RunOutcome::Skipped("its shares are still running")))
            }
            Some(Err(why)) => self.fail(&why).await,
            Some(Ok(())) => self.finish(None).await,
        }
    }

    /// Counts rows and checks the header; `Err` is the job's file-level failure.
    async fn survey(&mut self) -> Result<Result<(), String>, ImportError> {
        let mut stream = self.stream(ReadFrom::Top).await?;
        let mut header: Option<HeaderMap> = None;
        let mut rows: u64 = 0;
        let mut problem = None;
        'read: while let Some(batch) = stream.next().await {
            for (event, _) in batch {
                match event {
                    SheetEvent::Header(cells) => {
                        match HeaderMap::for_policy(&cells, &self.writer.settings) {
                            Ok(map) => header = Some(map),
                            Err(why) => {
                                problem = Some(why);
                                break 'read;
                            }
                        }
                    }
                    SheetEvent::Row(_) => {
                        rows += 1;
                        if rows > MAX_ROWS {
                            problem = Some(format!(
                                "the file has more than {MAX_ROWS} data rows: split it into several files"
                            ));
                            break 'read;
                        }
                    }
                }
            }
        }
        let read = stream.close().await;
        if let Some(why) = problem {
            return Ok(Err(why));
        }
        let dialect = match read {
            Ok(read) => read.map(|r| r.dialect),
            Err(e) => return Ok(Err(e.0)),
        };
        let Some(map) = header else {
            return Ok(Err("the file is empty".into()));
        };
        if rows == 0 {
            return Ok(Err("the file has a header but no rows".into()));
        }
        self.job.counts.total = rows;
        self.job.csv_delimiter = dialect.map(|d| d.delimiter);
        self.job.csv_encoding = dialect.map(|d| TextEncoding::of(d.encoding).name().to_owned());
        self.job.warnings = ignored_column_warnings(&map.ignored());
        if !self.save().await? {
            return Ok(Err("the job was changed while starting".into()));
        }
        Ok(Ok(()))
    }

    /// One pass over the file from the checkpoint: validate and (if `write`) write.
    async fn pass(&mut self, write: bool) -> Result<PassEnd, ImportError> {
        let (from, mut seen) = self.share_reading().await?;
        let mut map: Option<HeaderMap> = None;
        // Rows before the share's first one are not in this read.
        let mut index: u64 = 0;
        if from != ReadFrom::Top {
            map = self.read_header().await?;
            self.password_column = map.as_ref().and_then(|m| m.position(Column::Password));
            index = self.job.first_row();
        }
        let mut stream = self.stream(from).await?;
        let end_row = self.job.share.map(|s| s.end_row);
        let mut chunk: Vec<(Row, Verdict)> = Vec::new();
        let mut past_end = false;
        'read: while let Some(batch) = stream.next().await {
            for (event, _) in batch {
                let row = match event {
                    SheetEvent::Header(cells) => {
                        map = HeaderMap::for_policy(&cells, &self.writer.settings).ok();
                        self.password_column =
                            map.as_ref().and_then(|m| m.position(Column::Password));
                        continue;
                    }
                    SheetEvent::Row(row) => row,
                };
                let Some(header) = &map else { continue };
                index += 1;
                if end_row.is_some_and(|end| index > end) {
                    past_end = true; // the next share's rows
                    break 'read;
                }
                let handled = index <= self.job.next_row; // by an earlier invocation
                if handled && !seen.needs_every_row() {
                    continue;
                }
                let rules = Rules {
                    map: header,
                    settings: &self.writer.settings,
                    directory: &self.writer.directory,
                };
                let verdict = rules.judge(&row, &mut seen);
                if handled {
                    continue; // only `seen` needed it
                }
                let mut row = row;
                row.cells.truncate(MAX_ROW_CELLS.max(header.headers.len()));
                chunk.push((row, verdict));
                if chunk.len() < self.importer.config.chunk_rows {
                    continue;
                }
                let end = self
                    .handle_chunk(std::mem::take(&mut chunk), write, index)
                    .await?;
                if let ChunkEnd::OutOfTime = end {
                    let _ = stream.close().await;
                    return Ok(PassEnd::Stopped(self.hand_over().await?));
                }
                if let Some(stop) = self.checkpoint().await? {
                    let _ = stream.close().await;
                    return Ok(PassEnd::Stopped(stop));
                }
                if self.must_hand_over() {
                    let _ = stream.close().await;
                    return Ok(PassEnd::Stopped(self.hand_over().await?));
                }
            }
        }
        // A share that stopped early leaves the rest of the file to the shares after it.
        if let Err(e) = stream.close().await
            && !past_end
        {
            return Ok(PassEnd::Stopped(self.fail(&e.0).await?));
        }
        if !chunk.is_empty()
            && let ChunkEnd::OutOfTime = self.handle_chunk(chunk, write, index).await?
        {
            return Ok(PassEnd::Stopped(self.hand_over().await?));
        }
        Ok(PassEnd::Done(map))
    }

    /// The file's header, read again (a resumed undo needs it for the report).
    async fn read_header(&self) -> Result<Option<HeaderMap>, ImportError> {
        let mut stream = self.stream(ReadFrom::Top).await?;
        let mut map = None;
        'read: while let Some(batch) = stream.next().await {
            for (event, _) in batch {
                if let SheetEvent::Header(cells) = event {
                    map = HeaderMap::for_policy(&cells, &self.writer.settings).ok();
                    break 'read;
                }
            }
        }
        let _ = stream.close().await;
        Ok(map)
    }

    /// Out of time?
    fn must_hand_over(&self) -> bool {
        self.importer
            .config
            .hand_over_at
            .is_some_and(|t| Instant::now() >= t)
    }

    /// Counts one row's outcome; a refused row goes to `failed` for the report.
    fn tally(
        &mut self,
        row: Row,
        written: Written,
        failed: &mut Vec<FailedRow>,
        created: &mut Vec<CreatedUser>,
    ) {
        let counts = &mut self.job.counts;
        match written {
            Written::Created(user) => {
                counts.created += 1;
                created.push(CreatedUser {
                    id: user.id,
                    send_text: user.profile.send_text,
                });
            }
            Written::Updated => counts.updated += 1,
            Written::Failed(errors) => {
                counts.failed += 1;
                failed.push(FailedRow::new(row, errors));
            }
            Written::Conflict(errors) => {
                counts.conflicts += 1;
                failed.push(FailedRow::new(row, errors));
            }
        }
    }

    /// Writes (or, in a dry run, checks) one chunk, keeps its failed rows, and moves the
    /// checkpoint to `next_row`. Throttled rows are written again after a pause, fewer at a
    /// time (`pace`), until the invocation runs out of time.
    async fn handle_chunk(
        &mut self,
        chunk: Vec<(Row, Verdict)>,
        write: bool,
        next_row: u64,
    ) -> Result<ChunkEnd, ImportError> {
        let counts_before = self.job.counts;
        let upsert = self.job.mode == ImportMode::Upsert;
        let mut failed: Vec<FailedRow> = Vec::new();
        let mut created = Vec::new();
        let mut valid: Vec<(Row, ValidRow)> = Vec::new();
        for (row, verdict) in chunk {
            let written = match verdict {
                Verdict::Valid(both) => {
                    valid.push((row, both));
                    continue;
                }
                Verdict::Invalid(errors, draft) if write && upsert => {
                    self.writer.write_partial_row(draft, errors).await?
                }
                Verdict::Invalid(errors, _) => Written::Failed(errors),
                Verdict::Duplicate(errors) => {
                    self.job.counts.skipped += 1;
                    failed.push(FailedRow::new(row, errors));
                    continue;
                }
            };
            self.tally(row, written, &mut failed, &mut created);
        }
        let mut pending = valid;
        let mut throttled = false;
        while !pending.is_empty() {
            let round = pending.len();
            let writer = &self.writer;
            let results: Vec<(Row, ValidRow, Result<Written, ImportError>)> =
                futures::stream::iter(pending)
                    .map(|(row, both)| async move {
                        let outcome = if write {
                            let (user, draft) = (both.0.clone(), both.1.clone());
                            writer.write(user, draft, upsert).await
                        } else {
                            writer.check(&both.0).await
                        };
                        (row, both, outcome)
                    })
                    .buffer_unordered(self.pace.concurrency())
                    .collect()
                    .await;
            pending = Vec::new();
            for (row, both, outcome) in results {
                match outcome {
                    Err(ImportError::Store(StoreError::Throttled)) => pending.push((row, both)),
                    outcome => self.tally(row, outcome?, &mut failed, &mut created),
                }
            }
            if pending.is_empty() {
                break;
            }
            throttled = true;
            let pause = self.pace.throttled(pending.len() < round);
            tracing::warn!(
                job_id = %self.job.id,
                rows = pending.len(),
                concurrency = self.pace.concurrency(),
                pause_ms = pause.as_millis() as u64,
                "throttled: writing fewer rows at a time"
            );
            let left = self
                .importer
                .config
                .hand_over_at
                .map(|t| t.saturating_duration_since(Instant::now()));
            if left.is_some_and(|left| left <= pause) {
                self.job.counts = counts_before;
                return Ok(ChunkEnd::OutOfTime);
            }
            tokio::time::sleep(pause).await;
        }
        if !throttled {
            self.pace.clean();
        }
        if self.job.mode == ImportMode::AllOrNothing {
            // Texts wait for the commit; the ids are what an undo removes.
            outcome::keep_created(self.files(), &self.job, next_row, &created).await?;
        } else {
            self.request_welcome_texts(&created).await;
        }
        outcome::keep_failed_rows(self.files(), &self.job, failed, self.password_column).await?;
        self.job.next_row = next_row;
        Ok(ChunkEnd::Written)
    }

    /// A lost publish must not fail the rows that were written: the job says to resend.
    async fn request_welcome_texts(&mut self, created: &[CreatedUser]) {
        let welcome: Vec<ActivationRequest> = created
            .iter()
            .filter(|c| c.send_text)
            .map(|c| {
                ActivationRequest::import_welcome(
                    &self.job.id,
                    self.job.tenant_id.clone(),
                    c.id,
                    &self.writer.actor,
                )
            })
            .collect();
        if welcome.is_empty() {
            return;
        }
        let Err(e) = self.importer.publisher.publish(&welcome).await else {
            return;
        };
        tracing::error!(job_id = %self.job.id, error = %e, "welcome activations not published");
        let refused: Vec<&ActivationRequest> = welcome
            .iter()
            .filter(|r| e.refused(&r.request_id))
            .collect();
        // Each user whose text did not go says so, where admins look for it.
        for request in &refused {
            let state = ActivationState::not_queued(
                request,
                "the activation text could not be requested: resend it",
            );
            if let Err(record) = self
                .store()
                .record_activation(&request.tenant_id, &request.user_id, &state)
                .await
            {
                tracing::error!(job_id = %self.job.id, user_id = %request.user_id, error = %record, "the failed welcome could not be recorded");
            }
        }
        self.job.warnings.push(format!(
            "{} activation texts could not be requested; resend them from the users",
            refused.len()
        ));
    }

    /// Saves the job, telling a cancel and a lost lease apart when the save is refused.
    async fn store_progress(&mut self) -> Result<Saved, ImportError> {
        if self.job.share.is_some() {
            return self.store_share_progress().await;
        }
        if self.save().await? {
            return Ok(Saved::Yes);
        }
        let current = self
            .store()
            .get_job(&self.job.tenant_id, &self.job.id)
            .await?;
        Ok(match current {
            Some(j) if j.status == ImportStatus::Cancelled && j.stage != Some(Stage::Undoing) => {
                Saved::Cancelled(Box::new(j))
            }
            _ => Saved::Lost,
        })
    }

    /// Saves progress (always at a chunk end) and renews the lease; `Some` when this
    /// invocation must stop (cancelled, or another invocation holds the job now).
    async fn checkpoint(&mut self) -> Result<Option<RunOutcome>, ImportError> {
        let total = self.job.counts.total.max(1);
        let done = self.job.next_row - self.job.first_row();
        self.job.progress = ((done * 100 / total).min(99)) as u8;
        self.job.lease = Some(Lease {
            owner: self.importer.config.invocation.clone(),
            until_ms: now_ms() + self.importer.config.lease_ms(),
        });
        self.stop_unless_saved().await
    }

    /// A share saves only its own record, so it reads the job's at every save to see a
    /// cancel; a share of a job that ended ends with it.
    async fn store_share_progress(&mut self) -> Result<Saved, ImportError> {
        let tenant = &self.job.tenant_id;
        let main = self.importer.store.get_job(tenant, &self.job.id).await?;
        match main {
            None => Ok(Saved::Lost),
            Some(main) if !main.has_work() => {
                self.job.status = main.status;
                self.job.lease = None;
                Ok(if self.save().await? {
                    Saved::Cancelled(Box::new(main))
                } else {
                    Saved::Lost
                })
            }
            Some(_) => Ok(if self.save().await? {
                Saved::Yes
            } else {
                Saved::Lost
            }),
        }
    }

    async fn stop_unless_saved(&mut self) -> Result<Option<RunOutcome>, ImportError> {
        match self.store_progress().await? {
            Saved::Yes => Ok(None),
            Saved::Cancelled(current) => Ok(Some(self.on_cancel(*current).await?)),
            Saved::Lost => {
                tracing::warn!(job_id = %self.job.id, "another invocation holds the job: this one stops");
                Ok(Some(RunOutcome::Skipped(
                    "another invocation took over the job",
                )))
            }
        }
    }

    /// An admin cancelled the job: rows written so far stay, except in `all_or_nothing`,
    /// whose write pass is undone.
    async fn on_cancel(&mut self, current: ImportJob) -> Result<RunOutcome, ImportError> {
        tracing::info!(job_id = %self.job.id, "import cancelled");
        if self.job.mode == ImportMode::AllOrNothing && self.job.stage == Some(Stage::Writing) {
            self.job = current;
            self.job.stage = Some(Stage::Undoing);
            if !self.save().await? {
                return Ok(RunOutcome::Skipped("another invocation took over the job"));
            }
            // Boxed: an undo saves progress, which may meet a cancel again.
            return Box::pin(self.undo()).await;
        }
        Ok(RunOutcome::Finished(ImportStatus::Cancelled))
    }

    /// Gives the lease back and continues in a new invocation.
    async fn hand_over(&mut self) -> Result<RunOutcome, ImportError> {
        self.job.lease = released(now_ms());
        if let Some(stop) = self.stop_unless_saved().await? {
            return Ok(stop);
        }
        self.importer
            .continuation
            .continue_job(&self.job.tenant_id, &self.job.id, self.job.share_index())
            .await
            .map_err(ImportError::Queue)?;
        tracing::info!(job_id = %self.job.id, share = ?self.job.share_index(), next_row = self.job.next_row, "import continues in a new invocation");
        Ok(RunOutcome::Continued)
    }

    /// Writes the report (if any row failed) and the summary, and closes the job.
    async fn finish(&mut self, map: Option<HeaderMap>) -> Result<RunOutcome, ImportError> {
        let problems = self.job.counts.problems();
        let map = match map {
            None if problems > 0 => self.read_header().await?,
            map => map,
        };
        if problems > 0
            && let Some(map) = &map
        {
            let part_bytes = self.importer.config.report_part_bytes;
            outcome::write_reports(self.importer.files, &mut self.job, map, part_bytes).await?;
        }
        let status = if self.job.mode == ImportMode::AllOrNothing && problems > 0 {
            ImportStatus::Failed
        } else if problems > 0 {
            ImportStatus::CompletedWithErrors
        } else {
            ImportStatus::Completed
        };
        if self.job.mode == ImportMode::ValidateOnly {
            self.job.counts.updated = 0;
        }
        self.job.status = status;
        self.job.progress = 100;
        self.job.lease = None;
        self.job.stage = None;
        outcome::write_summary(self.files(), &self.job, status).await?;
        if let Some(stop) = self.stop_unless_saved().await? {
            return Ok(stop);
        }
        outcome::drop_kept_rows(self.files(), &self.job).await;
        tracing::info!(job_id = %self.job.id, status = status.as_str(), "import finished");
        Ok(RunOutcome::Finished(status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_of_stray_columns_make_a_short_warning_list() {
        let ignored: Vec<String> = (0..3_432).map(|i| format!("extra {i}")).collect();
        let warnings = ignored_column_warnings(&ignored);
        assert_eq!(warnings.len(), MAX_LISTED_WARNINGS + 1);
        assert_eq!(
            warnings.last().unwrap(),
            "and 3412 more columns that are not user fields were ignored"
        );
        let long = ["x".repeat(10_000)];
        assert!(ignored_column_warnings(&long)[0].len() < 120);
    }
}
