//! Runs one import job: reads the file row by row, validates each row with the validation
//! every entry point uses, writes users in concurrent batches, reports failed rows, and
//! checkpoints after every chunk so that a job that outlives its invocation continues in the
//! next one without losing or duplicating a row.
//!
//! Resumption is idempotent: rows before the checkpoint are only re-read (to rebuild the
//! in-file duplicate sets), and a row whose user was already written by this job before a
//! crash is recognised by its creator (`import:{job}`) instead of being reported as a conflict.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use tokio::sync::mpsc;

use super::columns::HeaderMap;
use super::directory::ImportDirectory;
use super::files::{ContinueJob, ImportFiles, ObjectRef};
use super::report::{FailedRow, ReportFormat, TextEncoding, write_report, write_text_report};
use super::rows::draft_from_row;
use super::sheet::{
    CsvDialect, FileFormat, MAX_FILE_BYTES, MAX_ROWS, ReadError, Row, SheetEvent, read_csv,
    read_workbook,
};
use crate::activation::{ActivationRequest, PublishActivation};
use crate::ids::{Actor, ImportJobId, TenantId};
use crate::import_job::{ImportJob, ImportMode, ImportStatus};
use crate::object_keys;
use crate::password::PasswordHash;
use crate::pick_list::{PickListKind, pick_list};
use crate::store::{
    CreateUser, DeleteUser, DepartmentStore, FindUser, GetUser, ImportJobStore, ListUsers,
    PickListStore, StoreError, TenantSettingsStore, UniqueField, UpdateUser,
};
use crate::tenant::TenantSettings;
use crate::user::User;
use crate::validation::{FieldError, UserDraft, ValidUser, validate_user};

#[derive(Debug, Clone)]
pub struct ImportConfig {
    /// Rows validated and written between checkpoints.
    pub chunk_rows: usize,
    /// Concurrent user writes.
    pub write_concurrency: usize,
    /// When this invocation must hand over (its deadline minus a safety margin).
    pub hand_over_at: Option<Instant>,
}

impl Default for ImportConfig {
    fn default() -> Self {
        Self {
            chunk_rows: 500,
            write_concurrency: 8,
            hand_over_at: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    Finished(ImportStatus),
    /// Checkpointed and handed over to a new invocation.
    Continued,
    /// Nothing to do (already finished, cancelled, or being run elsewhere).
    Skipped(&'static str),
}

/// A failure worth retrying the invocation for (storage or bucket unavailable).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("bucket: {0}")]
    Files(String),
}

/// Everything an import job reads and writes in the table.
pub trait ImportStore:
    ImportJobStore
    + CreateUser
    + GetUser
    + FindUser
    + UpdateUser
    + DeleteUser
    + ListUsers
    + DepartmentStore
    + PickListStore
    + TenantSettingsStore
    + Sync
{
}

impl<T> ImportStore for T where
    T: ImportJobStore
        + CreateUser
        + GetUser
        + FindUser
        + UpdateUser
        + DeleteUser
        + ListUsers
        + DepartmentStore
        + PickListStore
        + TenantSettingsStore
        + Sync
{
}

/// The actor an import writes as: links each user to its job.
pub fn import_actor(job: &ImportJobId) -> Actor {
    Actor::new(format!("import:{job}"))
}

fn key_hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.to_lowercase().hash(&mut h);
    h.finish()
}

/// First occurrences of logins and e-mails in the file (hashes: 1M rows fit in a few MB).
#[derive(Default)]
struct SeenKeys {
    logins: HashMap<u64, u64>,
    emails: HashMap<u64, u64>,
}

impl SeenKeys {
    /// Records a valid row; the errors say which earlier row it duplicates.
    fn admit(&mut self, row: u64, user: &ValidUser) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let login = key_hash(user.profile.login.as_str());
        if let Some(first) = self.logins.get(&login) {
            errors.push(FieldError::new(
                "login",
                format!("is a duplicate of row {first} in this file"),
            ));
        }
        let email = user.profile.email.as_ref().map(|e| key_hash(e.as_str()));
        if let Some(first) = email.and_then(|e| self.emails.get(&e)) {
            errors.push(FieldError::new(
                "email",
                format!("is a duplicate of row {first} in this file"),
            ));
        }
        if errors.is_empty() {
            self.logins.insert(login, row);
            if let Some(e) = email {
                self.emails.insert(e, row);
            }
        }
        errors
    }
}

/// Validates rows one by one with in-file duplicate detection, without any I/O: the part of an
/// import that benchmarks measure against the bare readers.
pub struct RowChecker {
    map: HeaderMap,
    settings: TenantSettings,
    directory: ImportDirectory,
    seen: SeenKeys,
}

impl RowChecker {
    pub fn new(
        map: HeaderMap,
        settings: TenantSettings,
        directory: impl Into<ImportDirectory>,
    ) -> Self {
        Self {
            map,
            settings,
            directory: directory.into(),
            seen: SeenKeys::default(),
        }
    }

    /// Whether the row would be imported.
    pub fn check(&mut self, row: &Row) -> bool {
        let rules = Rules {
            map: &self.map,
            settings: &self.settings,
            directory: &self.directory,
        };
        matches!(rules.judge(row, &mut self.seen), Verdict::Valid(_))
    }
}

/// What the rules say about one row.
enum Verdict {
    Valid(Box<(ValidUser, UserDraft)>),
    /// With the row's draft when it could be read (upsert may still merge it into a user).
    Invalid(Vec<FieldError>, Option<Box<UserDraft>>),
    Duplicate(Vec<FieldError>),
}

struct Rules<'a> {
    map: &'a HeaderMap,
    settings: &'a TenantSettings,
    directory: &'a ImportDirectory,
}

impl Rules<'_> {
    fn judge(&self, row: &Row, seen: &mut SeenKeys) -> Verdict {
        let mut draft = match draft_from_row(self.map, &row.cells) {
            Ok(d) => d,
            Err(errors) => return Verdict::Invalid(errors, None),
        };
        self.directory.resolve_department(&mut draft);
        match validate_user(&draft, self.settings, self.directory) {
            Err(errors) => Verdict::Invalid(errors.into_errors(), Some(Box::new(draft))),
            Ok(valid) => {
                let duplicates = seen.admit(row.number, &valid);
                if duplicates.is_empty() {
                    Verdict::Valid(Box::new((valid, draft)))
                } else {
                    Verdict::Duplicate(duplicates)
                }
            }
        }
    }
}

/// The uploaded file, opened once per invocation.
enum Source {
    Csv,
    Workbook(Arc<Vec<u8>>, FileFormat),
}

/// Streams the file's events through a bounded channel from a blocking thread.
async fn open_events<F: ImportFiles>(
    files: &F,
    object: ObjectRef<'_>,
    source: &Source,
) -> Result<
    (
        mpsc::Receiver<Vec<SheetEvent>>,
        tokio::task::JoinHandle<Result<Option<CsvDialect>, ReadError>>,
    ),
    ImportError,
> {
    let (tx, rx) = mpsc::channel::<Vec<SheetEvent>>(4);
    let handle = match source {
        Source::Csv => {
            let reader = files.stream(object).await.map_err(ImportError::Files)?;
            tokio::task::spawn_blocking(move || {
                let mut batch = Vec::with_capacity(256);
                let mut visit = |e: SheetEvent| {
                    batch.push(e);
                    if batch.len() >= 256 {
                        return tx.blocking_send(std::mem::take(&mut batch)).is_ok();
                    }
                    true
                };
                let dialect = read_csv(reader, &mut visit)?;
                let _ = tx.blocking_send(batch);
                Ok(Some(dialect))
            })
        }
        Source::Workbook(bytes, format) => {
            let bytes = Arc::clone(bytes);
            let format = *format;
            tokio::task::spawn_blocking(move || {
                let mut batch = Vec::with_capacity(256);
                let mut visit = |e: SheetEvent| {
                    batch.push(e);
                    if batch.len() >= 256 {
                        return tx.blocking_send(std::mem::take(&mut batch)).is_ok();
                    }
                    true
                };
                read_workbook(bytes.as_ref().clone(), format, &mut visit)?;
                let _ = tx.blocking_send(batch);
                Ok(None)
            })
        }
    };
    Ok((rx, handle))
}

async fn reader_result(
    handle: tokio::task::JoinHandle<Result<Option<CsvDialect>, ReadError>>,
) -> Result<Option<CsvDialect>, ReadError> {
    handle
        .await
        .unwrap_or_else(|_| Err(ReadError("the file could not be read".into())))
}

/// Everything one run needs, resolved once.
struct Run<'a, S, F, P, C> {
    store: &'a S,
    files: &'a F,
    publisher: &'a P,
    continuation: &'a C,
    config: &'a ImportConfig,
    settings: TenantSettings,
    directory: ImportDirectory,
    source: Source,
    job: ImportJob,
}

/// Runs (or continues) a job that was claimed for running (status `queued` or `in_progress`).
pub async fn run_job<S, F, P, C>(
    store: &S,
    files: &F,
    publisher: &P,
    continuation: &C,
    config: &ImportConfig,
    tenant: &TenantId,
    id: &ImportJobId,
) -> Result<RunOutcome, ImportError>
where
    S: ImportStore,
    F: ImportFiles,
    P: PublishActivation + Sync,
    C: ContinueJob,
{
    let Some(mut job) = store.get_job(tenant, id).await? else {
        return Ok(RunOutcome::Skipped("no such job"));
    };
    match job.status {
        s if s.is_terminal() => return Ok(RunOutcome::Skipped("the job has already finished")),
        ImportStatus::Uploading => {
            return Ok(RunOutcome::Skipped("the file has not been uploaded yet"));
        }
        _ => {}
    }
    if job.status == ImportStatus::Queued {
        job.status = ImportStatus::InProgress;
        if !save(store, &mut job).await? {
            return Ok(RunOutcome::Skipped("another invocation took the job"));
        }
    }
    let format = FileFormat::from_name(&job.object_key);
    let pinned = ObjectRef::pinned(&job.object_key, job.object_version.as_deref());
    let object = match files.head(pinned).await.map_err(ImportError::Files)? {
        Some(o) => o,
        None => return fail(store, job, "the uploaded file no longer exists").await,
    };
    if object.size > MAX_FILE_BYTES {
        return fail(
            store,
            job,
            &format!("the file is larger than {} MB", MAX_FILE_BYTES >> 20),
        )
        .await;
    }
    let source = match format {
        FileFormat::Csv => Source::Csv,
        other => Source::Workbook(
            Arc::new(files.download(pinned).await.map_err(ImportError::Files)?),
            other,
        ),
    };
    let departments = store.list_departments(tenant).await?;
    let locations = store.list_entries(tenant, PickListKind::Location).await?;
    let job_descriptions = store
        .list_entries(tenant, PickListKind::JobDescription)
        .await?;
    let directory = ImportDirectory::new(
        &departments,
        pick_list(&locations),
        pick_list(&job_descriptions),
    );
    let settings = store.get_settings(tenant).await?;
    let mut run = Run {
        store,
        files,
        publisher,
        continuation,
        config,
        settings,
        directory,
        source,
        job,
    };
    run.execute().await
}

/// Saves the job on its current version; `false` when someone else changed it meanwhile.
async fn save<S: ImportJobStore>(store: &S, job: &mut ImportJob) -> Result<bool, ImportError> {
    let expected = job.version;
    job.version += 1;
    match store.save_job(expected, job).await {
        Ok(()) => Ok(true),
        Err(StoreError::VersionMismatch) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

async fn fail<S: ImportJobStore>(
    store: &S,
    mut job: ImportJob,
    why: &str,
) -> Result<RunOutcome, ImportError> {
    tracing::warn!(job_id = %job.id, reason = why, "import failed");
    job.status = ImportStatus::Failed;
    job.error = Some(why.to_owned());
    save(store, &mut job).await?;
    Ok(RunOutcome::Finished(ImportStatus::Failed))
}

/// The outcome of writing one row.
enum Written {
    Created(Box<User>),
    Updated,
    Failed(Vec<FieldError>),
    /// The login or e-mail belongs to an existing user.
    Conflict(Vec<FieldError>),
}

/// The report line of a row refused because `field` belongs to an existing user.
fn conflict(field: UniqueField) -> Written {
    let what = match field {
        UniqueField::Login => "login",
        UniqueField::Email => "e-mail address",
    };
    Written::Conflict(vec![FieldError::new(
        field.as_str(),
        format!("conflict: this {what} belongs to an existing user"),
    )])
}

impl<S, F, P, C> Run<'_, S, F, P, C>
where
    S: ImportStore,
    F: ImportFiles,
    P: PublishActivation + Sync,
    C: ContinueJob,
{
    fn tenant(&self) -> &TenantId {
        &self.job.tenant_id
    }

    fn reports_prefix(&self) -> String {
        object_keys::job_reports(&self.job.tenant_id, &self.job.id)
    }

    fn parts_prefix(&self) -> String {
        object_keys::report_parts(&self.job.tenant_id, &self.job.id)
    }

    fn object(&self) -> ObjectRef<'_> {
        ObjectRef::pinned(&self.job.object_key, self.job.object_version.as_deref())
    }

    /// A job starting from the top (a new job, or a proceeded dry run) drops the report files
    /// of any earlier run, so the report it writes holds only its own rows.
    async fn clear_reports(&self) -> Result<(), ImportError> {
        let old = self
            .files
            .list(&self.reports_prefix())
            .await
            .map_err(ImportError::Files)?;
        if old.is_empty() {
            return Ok(());
        }
        self.files.delete(&old).await.map_err(ImportError::Files)
    }

    async fn execute(&mut self) -> Result<RunOutcome, ImportError> {
        // First invocation: check the whole file (header, row count) before any write.
        if self.job.next_row == 0 && self.job.counts.total == 0 {
            self.clear_reports().await?;
            match self.survey().await? {
                Ok(()) => {}
                Err(why) => return fail(self.store, self.job.clone(), &why).await,
            }
        }
        match self.job.mode {
            ImportMode::Partial | ImportMode::Upsert => self.pass(true).await,
            ImportMode::ValidateOnly => self.pass(false).await,
            ImportMode::AllOrNothing => self.all_or_nothing().await,
        }
    }

    /// Counts rows and checks the header; `Err` is the job's file-level failure.
    async fn survey(&mut self) -> Result<Result<(), String>, ImportError> {
        let (mut rx, handle) = open_events(self.files, self.object(), &self.source).await?;
        let mut header: Option<HeaderMap> = None;
        let mut rows: u64 = 0;
        let mut problem = None;
        'read: while let Some(batch) = rx.recv().await {
            for event in batch {
                match event {
                    SheetEvent::Header(cells) => {
                        match HeaderMap::for_policy(&cells, &self.settings) {
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
        drop(rx);
        let read = reader_result(handle).await;
        if let Some(why) = problem {
            return Ok(Err(why));
        }
        let dialect = match read {
            Ok(d) => d,
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
        self.job.warnings = map
            .ignored()
            .into_iter()
            .map(|h| format!("column '{h}' is not a user field and was ignored"))
            .collect();
        if !save(self.store, &mut self.job).await? {
            return Ok(Err("the job was changed while starting".into()));
        }
        Ok(Ok(()))
    }

    /// One pass over the file from the checkpoint: validate and (if `write`) write.
    async fn pass(&mut self, write: bool) -> Result<RunOutcome, ImportError> {
        let (mut rx, handle) = open_events(self.files, self.object(), &self.source).await?;
        let mut map: Option<HeaderMap> = None;
        let mut seen = SeenKeys::default();
        let mut index: u64 = 0;
        let mut chunk: Vec<(Row, Verdict)> = Vec::new();
        let mut last_save = Instant::now();
        let settings = self.settings.clone();
        let directory = self.directory.clone();
        while let Some(batch) = rx.recv().await {
            for event in batch {
                let row = match event {
                    SheetEvent::Header(cells) => {
                        map = HeaderMap::for_policy(&cells, &settings).ok();
                        continue;
                    }
                    SheetEvent::Row(row) => row,
                };
                let Some(header) = &map else { continue };
                let rules = Rules {
                    map: header,
                    settings: &settings,
                    directory: &directory,
                };
                let verdict = rules.judge(&row, &mut seen);
                index += 1;
                if index <= self.job.next_row {
                    continue; // handled by an earlier invocation; only `seen` needed it
                }
                chunk.push((row, verdict));
                if chunk.len() >= self.config.chunk_rows {
                    self.handle_chunk(std::mem::take(&mut chunk), write, index)
                        .await?;
                    if self.checkpoint(&mut last_save).await? {
                        return Ok(RunOutcome::Finished(ImportStatus::Cancelled));
                    }
                    // all_or_nothing keeps its two passes in one invocation (its undo needs them).
                    let may_hand_over = self.job.mode != ImportMode::AllOrNothing;
                    if may_hand_over
                        && self
                            .config
                            .hand_over_at
                            .is_some_and(|t| Instant::now() >= t)
                    {
                        drop(rx);
                        let _ = handle.await;
                        return self.hand_over().await;
                    }
                }
            }
        }
        let read = reader_result(handle).await;
        if let Err(e) = read {
            return fail(self.store, self.job.clone(), &e.0).await;
        }
        if !chunk.is_empty() {
            self.handle_chunk(chunk, write, index).await?;
        }
        self.finish(map.as_ref()).await
    }

    /// Validates-and-writes one chunk, records failures, and moves the checkpoint.
    async fn handle_chunk(
        &mut self,
        chunk: Vec<(Row, Verdict)>,
        write: bool,
        next_row: u64,
    ) -> Result<(), ImportError> {
        let mut failed: Vec<FailedRow> = Vec::new();
        let mut valid: Vec<(Row, Box<(ValidUser, UserDraft)>)> = Vec::new();
        for (row, verdict) in chunk {
            match verdict {
                Verdict::Valid(both) => valid.push((row, both)),
                Verdict::Invalid(errors, draft) => {
                    // Upsert: a row naming an existing login only needs to be valid once
                    // merged into that user (blank cells keep the user's values).
                    let upsert = write && self.job.mode == ImportMode::Upsert;
                    let existing = match (&draft, upsert) {
                        (Some(d), true) => match d.login.as_deref() {
                            Some(login) => self.store.find_by_login(self.tenant(), login).await?,
                            None => None,
                        },
                        _ => None,
                    };
                    let outcome = match (existing, draft) {
                        (Some(user), Some(draft)) => {
                            let actor = import_actor(&self.job.id);
                            self.update_existing(user, *draft, &actor).await?
                        }
                        _ => Written::Failed(errors),
                    };
                    match outcome {
                        Written::Failed(errors) => {
                            self.job.counts.failed += 1;
                            failed.push(FailedRow::new(row, errors));
                        }
                        Written::Conflict(errors) => {
                            self.job.counts.conflicts += 1;
                            failed.push(FailedRow::new(row, errors));
                        }
                        _ => self.job.counts.updated += 1,
                    }
                }
                Verdict::Duplicate(errors) => {
                    self.job.counts.skipped += 1;
                    failed.push(FailedRow::new(row, errors));
                }
            }
        }
        let actor = import_actor(&self.job.id);
        let upsert = self.job.mode == ImportMode::Upsert;
        let this = &*self;
        let results: Vec<(Row, Result<Written, ImportError>)> = futures::stream::iter(valid)
            .map(|(row, both)| {
                let actor = actor.clone();
                async move {
                    let (user, draft) = *both;
                    let outcome = if write {
                        this.write_row(user, draft, &actor, upsert).await
                    } else {
                        this.check_row(&user).await
                    };
                    (row, outcome)
                }
            })
            .buffer_unordered(self.config.write_concurrency.max(1))
            .collect()
            .await;
        let mut welcome = Vec::new();
        for (row, outcome) in results {
            match outcome? {
                Written::Created(user) => {
                    self.job.counts.created += 1;
                    if user.profile.send_text {
                        welcome.push(ActivationRequest::import_welcome(
                            &self.job.id,
                            user.tenant_id.clone(),
                            user.id,
                            &actor,
                        ));
                    }
                }
                Written::Updated => self.job.counts.updated += 1,
                Written::Failed(errors) => {
                    self.job.counts.failed += 1;
                    failed.push(FailedRow::new(row, errors));
                }
                Written::Conflict(errors) => {
                    self.job.counts.conflicts += 1;
                    failed.push(FailedRow::new(row, errors));
                }
            }
        }
        if !welcome.is_empty()
            && let Err(e) = self.publisher.publish(&welcome).await
        {
            tracing::error!(job_id = %self.job.id, error = %e, "welcome activations not published");
            self.job.warnings.push(format!(
                "{} activation texts could not be requested; resend them from the users",
                welcome.len()
            ));
        }
        if !failed.is_empty() {
            failed.sort_by_key(|f| f.number);
            let key = object_keys::report_part(&self.job.tenant_id, &self.job.id, failed[0].number);
            let body =
                serde_json::to_vec(&failed).map_err(|e| ImportError::Files(e.to_string()))?;
            self.files
                .put(&key, body, "application/json")
                .await
                .map_err(ImportError::Files)?;
        }
        self.job.next_row = next_row;
        Ok(())
    }

    /// Saves progress (always at a chunk end); `true` when the job was cancelled meanwhile.
    async fn checkpoint(&mut self, last_save: &mut Instant) -> Result<bool, ImportError> {
        let total = self.job.counts.total.max(1);
        self.job.progress = ((self.job.next_row * 100 / total).min(99)) as u8;
        *last_save = Instant::now();
        if save(self.store, &mut self.job).await? {
            return Ok(false);
        }
        // Changed by someone else: a cancel, or another worker.
        let current = self.store.get_job(self.tenant(), &self.job.id).await?;
        Ok(current
            .is_none_or(|j| j.status == ImportStatus::Cancelled || j.version != self.job.version))
    }

    async fn hand_over(&mut self) -> Result<RunOutcome, ImportError> {
        self.continuation
            .continue_job(&self.job.tenant_id, &self.job.id)
            .await
            .map_err(ImportError::Files)?;
        tracing::info!(job_id = %self.job.id, next_row = self.job.next_row, "import continues in a new invocation");
        Ok(RunOutcome::Continued)
    }

    /// Dry-run check of a valid row against existing users.
    async fn check_row(&self, user: &ValidUser) -> Result<Written, ImportError> {
        let mut errors = Vec::new();
        if self
            .store
            .find_by_login(self.tenant(), user.profile.login.as_str())
            .await?
            .is_some()
            && let Written::Conflict(e) = conflict(UniqueField::Login)
        {
            errors.extend(e);
        }
        if let Some(email) = &user.profile.email
            && self
                .store
                .find_by_email(self.tenant(), email.as_str())
                .await?
                .is_some()
            && let Written::Conflict(e) = conflict(UniqueField::Email)
        {
            errors.extend(e);
        }
        Ok(if errors.is_empty() {
            Written::Updated
        } else {
            Written::Conflict(errors)
        })
    }

    async fn write_row(
        &self,
        valid: ValidUser,
        draft: UserDraft,
        actor: &Actor,
        upsert: bool,
    ) -> Result<Written, ImportError> {
        if upsert
            && let Some(existing) = self
                .store
                .find_by_login(self.tenant(), valid.profile.login.as_str())
                .await?
        {
            return self.update_existing(existing, draft, actor).await;
        }
        let mut user = User::new(self.tenant().clone(), valid.profile, actor);
        if let Some(p) = &valid.password {
            user.password_hash =
                Some(PasswordHash::hash(p).map_err(|e| ImportError::Files(e.to_string()))?);
        }
        match self.store.create_user(&user).await {
            Ok(()) => Ok(Written::Created(Box::new(user))),
            Err(StoreError::Conflict { field }) => {
                // Written by this job before a crash? Then it is this row's user, not a conflict.
                let holder = match field {
                    UniqueField::Login => {
                        self.store
                            .find_by_login(self.tenant(), user.profile.login.as_str())
                            .await?
                    }
                    UniqueField::Email => match &user.profile.email {
                        Some(e) => self.store.find_by_email(self.tenant(), e.as_str()).await?,
                        None => None,
                    },
                };
                match holder {
                    Some(h)
                        if h.created.by == *actor
                            && h.profile.login.key() == user.profile.login.key() =>
                    {
                        Ok(Written::Created(Box::new(h)))
                    }
                    _ => Ok(conflict(field)),
                }
            }
            Err(StoreError::MissingDepartment) => Ok(Written::Failed(vec![FieldError::new(
                "department_id",
                "this department does not exist in your organisation",
            )])),
            Err(e) => Err(e.into()),
        }
    }

    /// Upsert: the row's filled cells overwrite the existing user's values.
    async fn update_existing(
        &self,
        existing: User,
        row: UserDraft,
        actor: &Actor,
    ) -> Result<Written, ImportError> {
        let mut merged = serde_json::to_value(UserDraft::from(&existing.profile))
            .map_err(|e| ImportError::Files(e.to_string()))?;
        if let (Some(target), Ok(serde_json::Value::Object(cells))) =
            (merged.as_object_mut(), serde_json::to_value(&row))
        {
            for (k, v) in cells {
                if !v.is_null() {
                    target.insert(k, v);
                }
            }
        }
        let merged: UserDraft =
            serde_json::from_value(merged).map_err(|e| ImportError::Files(e.to_string()))?;
        let valid = match validate_user(&merged, &self.settings, &self.directory) {
            Ok(v) => v,
            Err(errors) => return Ok(Written::Failed(errors.into_errors())),
        };
        let mut next = existing.clone().touched(actor);
        next.profile = valid.profile;
        match self.store.update_user(&existing, &next).await {
            Ok(()) => Ok(Written::Updated),
            Err(StoreError::Conflict { field }) => Ok(conflict(field)),
            Err(StoreError::VersionMismatch) => Ok(Written::Failed(vec![FieldError::new(
                "login",
                "the user was changed during the import; import the row again",
            )])),
            Err(e) => Err(e.into()),
        }
    }

    /// All or nothing: a dry run first; only a clean file is then written, and a write that
    /// still fails (a race) undoes the users this job created.
    async fn all_or_nothing(&mut self) -> Result<RunOutcome, ImportError> {
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
                save(self.store, &mut self.job).await?;
                return Ok(RunOutcome::Finished(ImportStatus::Failed));
            }
            // Dry run passed: write for real from the top.
            self.job.status = ImportStatus::InProgress;
            self.job.next_row = 0;
            self.job.counts.created = 0;
            self.job.counts.updated = 0;
            self.job.report_key = None;
            save(self.store, &mut self.job).await?;
        }
        let outcome = self.pass(true).await?;
        if self.job.counts.failed + self.job.counts.conflicts > 0 {
            self.undo().await?;
        }
        Ok(outcome)
    }

    /// Deletes every user this job created (all_or_nothing after a failed write).
    async fn undo(&mut self) -> Result<(), ImportError> {
        let actor = import_actor(&self.job.id);
        let mut query = crate::store::UserQuery {
            limit: 200,
            ..Default::default()
        };
        let mut mine = Vec::new();
        loop {
            let page = ListUsers::list_users(self.store, self.tenant(), &query).await;
            let Ok(page) = page else { break };
            mine.extend(page.items.into_iter().filter(|u| u.created.by == actor));
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        for user in mine {
            self.store.delete_user(&user).await?;
        }
        self.job.counts.created = 0;
        self.job.status = ImportStatus::Failed;
        self.job.error = Some("a row failed while writing, so every user of this import was removed again (all_or_nothing)".into());
        save(self.store, &mut self.job).await?;
        Ok(())
    }

    /// The report in the uploaded file's format; as XLSX (with a warning saying why) when
    /// the rows do not fit an `.xls` sheet.
    fn write_report(
        &mut self,
        map: &HeaderMap,
        rows: &[FailedRow],
    ) -> Result<(ReportFormat, Vec<u8>), ImportError> {
        let format = match (
            self.job.csv_delimiter,
            FileFormat::from_name(&self.job.object_key),
        ) {
            (Some(delimiter), _) => ReportFormat::Csv {
                delimiter,
                encoding: self
                    .job
                    .csv_encoding
                    .as_deref()
                    .map(TextEncoding::from_name)
                    .unwrap_or_default(),
            },
            (None, FileFormat::Xls) => ReportFormat::Xls,
            (None, FileFormat::Ods) => ReportFormat::Ods,
            (None, _) => ReportFormat::Xlsx,
        };
        match write_report(format, map, rows) {
            Ok(bytes) => Ok((format, bytes)),
            Err(why) if format == ReportFormat::Xls => {
                self.job
                    .warnings
                    .push(format!("the error report is an .xlsx file: {why}"));
                let bytes =
                    write_report(ReportFormat::Xlsx, map, rows).map_err(ImportError::Files)?;
                Ok((ReportFormat::Xlsx, bytes))
            }
            Err(why) => Err(ImportError::Files(why)),
        }
    }

    /// Writes the report (if any row failed) and closes the job.
    async fn finish(&mut self, map: Option<&HeaderMap>) -> Result<RunOutcome, ImportError> {
        let problems = self.job.counts.problems();
        if problems > 0
            && let Some(map) = map
        {
            let mut rows: Vec<FailedRow> = Vec::new();
            for key in self
                .files
                .list(&self.parts_prefix())
                .await
                .map_err(ImportError::Files)?
            {
                let bytes = self
                    .files
                    .download(ObjectRef::latest(&key))
                    .await
                    .map_err(ImportError::Files)?;
                let part: Vec<FailedRow> = serde_json::from_slice(&bytes)
                    .map_err(|e| ImportError::Files(e.to_string()))?;
                rows.extend(part);
            }
            rows.sort_by_key(|r| r.number);
            let (format, bytes) = self.write_report(map, &rows)?;
            let (tenant, job) = (&self.job.tenant_id, &self.job.id);
            let key = object_keys::error_report(tenant, job, format.extension());
            self.files
                .put(&key, bytes, format.content_type())
                .await
                .map_err(ImportError::Files)?;
            self.job.report_key = Some(key);
            let text_key = object_keys::text_report(tenant, job);
            self.files
                .put(
                    &text_key,
                    write_text_report(map, &rows).into_bytes(),
                    "text/plain; charset=utf-8",
                )
                .await
                .map_err(ImportError::Files)?;
            self.job.text_report_key = Some(text_key);
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
        let summary = serde_json::json!({
            "job_id": self.job.id, "file_name": self.job.file_name, "mode": self.job.mode,
            "status": status, "counts": self.job.counts, "warnings": self.job.warnings,
            "report": self.job.report_key, "text_report": self.job.text_report_key,
        });
        let summary_key = object_keys::summary(&self.job.tenant_id, &self.job.id);
        self.files
            .put(
                &summary_key,
                summary.to_string().into_bytes(),
                "application/json",
            )
            .await
            .map_err(ImportError::Files)?;
        if !save(self.store, &mut self.job).await? {
            let current = self.store.get_job(self.tenant(), &self.job.id).await?;
            if current.is_some_and(|j| j.status == ImportStatus::Cancelled) {
                return Ok(RunOutcome::Finished(ImportStatus::Cancelled));
            }
        }
        tracing::info!(job_id = %self.job.id, status = status.as_str(), "import finished");
        Ok(RunOutcome::Finished(status))
    }
}
