//! Export jobs: a tenant's users written to S3 as one CSV, in parts, so that no export is held
//! in memory whole and none has to fit in one invocation.
//!
//! `GET /v1/users/export` runs the job itself for as long as the API's budget allows: most
//! tenants finish there (inline when small, else a link). A job that needs longer checkpoints
//! and continues in the worker through the continuation queue. The checkpoint is taken after
//! every uploaded part — the listing's cursor after the part's last user and the parts so far —
//! so a crash or a redelivered message resumes from it and no user is written twice; every
//! save compares the job's version, so of two runs of one job only one goes on.

use std::future::Future;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::caller::{Caller, CallerRole};
use crate::error::AppError;
use crate::ids::{ExportJobId, TenantId};
use crate::store::{ListUsers, StoreError, StoreResult, UserQuery};
pub use crate::upload::{MIN_PART_BYTES, PART_BYTES, PartUploads, UploadedPart};
use crate::use_cases::export::CsvExport;

const CSV: &str = "text/csv; charset=utf-8";

/// How long an export (object and job) is kept: the bucket's `exports/` rule expires it.
const KEPT_SECONDS: i64 = 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Running,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportJob {
    pub id: ExportJobId,
    pub tenant_id: TenantId,
    /// Who asked, with the reach their verified token gave them then.
    pub caller: Caller,
    /// The filters of the request (its cursor and limit are not used).
    pub query: UserQuery,
    pub status: ExportStatus,
    /// The object the CSV is written to.
    pub key: String,
    /// Users written in the parts uploaded so far (all of them once completed).
    pub rows: u64,
    pub upload_id: Option<String>,
    pub parts: Vec<UploadedPart>,
    /// Where the listing goes on after the last uploaded part; `None` before the first.
    pub cursor: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Why the job failed (for the admin: no internal detail).
    pub error: Option<String>,
    /// Epoch seconds: the table's TTL removes the job with its object.
    pub expires_at: i64,
    /// The stored version; every save compares and bumps it (0: not stored yet).
    pub version: u64,
}

impl ExportJob {
    pub fn new(caller: &Caller, query: UserQuery) -> Self {
        let id = ExportJobId::generate();
        let now = OffsetDateTime::now_utc();
        Self {
            key: crate::object_keys::export(&caller.tenant, &id.to_string()),
            id,
            tenant_id: caller.tenant.clone(),
            caller: caller.clone(),
            query: UserQuery {
                cursor: None,
                ..query
            },
            status: ExportStatus::Running,
            rows: 0,
            upload_id: None,
            parts: Vec::new(),
            cursor: None,
            requested_at: now,
            finished_at: None,
            error: None,
            expires_at: now.unix_timestamp() + KEPT_SECONDS,
            version: 0,
        }
    }

    /// Whether `caller` may see this job: its requester, or an admin of the tenant.
    pub fn visible_to(&self, caller: &Caller) -> bool {
        caller.tenant == self.tenant_id
            && (caller.has(CallerRole::Admin) || caller.actor == self.caller.actor)
    }

    fn started(&self) -> bool {
        self.cursor.is_some() || !self.parts.is_empty()
    }
}

/// Export jobs in storage.
pub trait ExportJobStore {
    /// Writes `job` if the stored version is `expected` (0: no job with this id yet), else
    /// `StoreError::VersionMismatch`.
    fn save_export(
        &self,
        expected: u64,
        job: &ExportJob,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_export(
        &self,
        tenant: &TenantId,
        id: &ExportJobId,
    ) -> impl Future<Output = StoreResult<Option<ExportJob>>> + Send;
}

/// Where exports are written: CSV objects, whole or by multipart upload, and links to them.
/// Errors are text for logs (no secrets in them).
pub trait ExportFiles: PartUploads {
    /// One whole object (an export smaller than a part).
    fn put_export(
        &self,
        key: &str,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// A pre-signed GET link (15 minutes).
    fn export_link(&self, key: &str) -> impl Future<Output = Result<String, String>> + Send;
}

/// Continues an export in the worker (a message on the continuation queue).
pub trait ContinueExport: Sync {
    fn continue_export(
        &self,
        tenant: &TenantId,
        id: &ExportJobId,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// What the users API needs to export: the files and the way to the worker.
pub trait ExportPorts: ExportFiles + ContinueExport {}
impl<T: ExportFiles + ContinueExport> ExportPorts for T {}

#[derive(Debug, Clone, Copy)]
pub struct ExportConfig {
    /// A part is uploaded once this much CSV is buffered (≥ [`MIN_PART_BYTES`] on S3).
    pub part_bytes: usize,
    /// The smallest part the bucket takes (S3: 5 MiB): at a hand-over, a buffer this large
    /// is uploaded rather than written again by the next run.
    pub min_part_bytes: usize,
    /// An export that ends within one part and is at most this large is answered inline.
    pub inline_bytes: usize,
}

impl Default for ExportConfig {
    fn default() -> Self {
        Self {
            part_bytes: PART_BYTES,
            min_part_bytes: MIN_PART_BYTES,
            inline_bytes: 4 * 1024 * 1024,
        }
    }
}

/// How far one run of a job got.
#[derive(Debug)]
pub enum ExportStep {
    /// Small and done: the CSV itself (nothing was stored).
    Inline(Vec<u8>),
    Completed(Box<ExportJob>),
    /// Handed over to the worker.
    Continued(Box<ExportJob>),
    /// Another run of the job took over, or it had already ended: nothing done here.
    Skipped(&'static str),
}

/// The ports an export runs over.
pub struct Exporter<'a, S, X, C> {
    pub store: &'a S,
    pub files: &'a X,
    pub continuation: &'a C,
    pub config: ExportConfig,
}

impl<S, X, C> Exporter<'_, S, X, C>
where
    S: ListUsers + ExportJobStore + Sync,
    X: ExportFiles,
    C: ContinueExport,
{
    /// Exports what `query` selects for `caller`, handing over at `hand_over_at`.
    pub async fn start(
        &self,
        caller: &Caller,
        query: UserQuery,
        hand_over_at: Instant,
    ) -> Result<ExportStep, AppError> {
        let mut job = ExportJob::new(caller, query);
        match self.run(&mut job, hand_over_at, true).await {
            // Once stored, the job is the worker's to finish, whatever went wrong here.
            Err(e) if job.version > 0 => {
                tracing::warn!(export_id = %job.id, error = %e, "export handed over after an error");
                self.hand_over(job).await
            }
            other => other,
        }
    }

    /// Goes on with a stored job (a continuation message): from its checkpoint, once.
    pub async fn resume(
        &self,
        tenant: &TenantId,
        id: &ExportJobId,
        hand_over_at: Instant,
    ) -> Result<ExportStep, AppError> {
        let Some(mut job) = self.store.get_export(tenant, id).await? else {
            return Ok(ExportStep::Skipped("no such export"));
        };
        if job.status != ExportStatus::Running {
            return Ok(ExportStep::Skipped("the export has ended"));
        }
        // Claim: a second delivery of the message, or a run that stalled, loses here or at
        // its next checkpoint.
        if !self.checkpoint(&mut job).await? {
            return Ok(ExportStep::Skipped("another run took the export"));
        }
        match self.run(&mut job, hand_over_at, false).await {
            Err(e @ (AppError::Internal(_) | AppError::Throttled)) => Err(e),
            Err(e) => {
                job.status = ExportStatus::Failed;
                job.error = Some(e.to_string());
                job.finished_at = Some(OffsetDateTime::now_utc());
                self.checkpoint(&mut job).await?;
                Ok(ExportStep::Completed(Box::new(job)))
            }
            step => step,
        }
    }

    /// Ends a running export that nothing will finish (its last delivery failed): the
    /// requester sees it failed, not running until it expires.
    pub async fn abandon(&self, tenant: &TenantId, id: &ExportJobId) -> Result<(), AppError> {
        let Some(mut job) = self.store.get_export(tenant, id).await? else {
            return Ok(());
        };
        if job.status != ExportStatus::Running {
            return Ok(());
        }
        job.status = ExportStatus::Failed;
        job.error = Some("the export could not be finished: request it again".into());
        job.finished_at = Some(OffsetDateTime::now_utc());
        // Lost to another run: that run decides how the export ends.
        self.checkpoint(&mut job).await?;
        Ok(())
    }

    /// Saves `job` over the version it was read at; `false` when another run saved since.
    async fn checkpoint(&self, job: &mut ExportJob) -> Result<bool, AppError> {
        let expected = job.version;
        job.version += 1;
        match self.store.save_export(expected, job).await {
            Ok(()) => Ok(true),
            Err(StoreError::VersionMismatch | StoreError::AlreadyExists) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn hand_over(&self, mut job: ExportJob) -> Result<ExportStep, AppError> {
        if job.version == 0 && !self.checkpoint(&mut job).await? {
            return Ok(ExportStep::Skipped("another run took the export"));
        }
        self.continuation
            .continue_export(&job.tenant_id, &job.id)
            .await
            .map_err(AppError::Internal)?;
        Ok(ExportStep::Continued(Box::new(job)))
    }

    async fn upload(&self, job: &mut ExportJob, bytes: Vec<u8>) -> Result<(), AppError> {
        let upload_id = match &job.upload_id {
            Some(id) => id.clone(),
            None => {
                let id = self
                    .files
                    .start_upload(&job.key, CSV)
                    .await
                    .map_err(AppError::Internal)?;
                job.upload_id = Some(id.clone());
                id
            }
        };
        let number = job.parts.len() as i32 + 1;
        let etag = self
            .files
            .upload_part(&job.key, &upload_id, number, bytes)
            .await
            .map_err(AppError::Internal)?;
        job.parts.push(UploadedPart { number, etag });
        Ok(())
    }

    async fn run(
        &self,
        job: &mut ExportJob,
        hand_over_at: Instant,
        may_answer_inline: bool,
    ) -> Result<ExportStep, AppError> {
        let internal = |e: csv::Error| AppError::Internal(e.to_string());
        let mut query = UserQuery {
            limit: UserQuery::MAX_LIMIT,
            cursor: job.cursor.clone(),
            ..job.query.clone()
        };
        let mut csv = if job.started() {
            CsvExport::continuing(Vec::new())
        } else {
            CsvExport::new(Vec::new()).map_err(internal)?
        };
        let mut buffered_rows = 0u64;
        loop {
            let page = super::users::list_users(self.store, &job.caller, query.clone()).await?;
            for user in &page.items {
                csv.write(user).map_err(internal)?;
            }
            buffered_rows += page.items.len() as u64;
            query.cursor = page.next_cursor;
            if query.cursor.is_none() {
                break;
            }
            let handing_over = Instant::now() >= hand_over_at;
            // What is buffered at a hand-over goes up too when S3 takes it as a part, so the
            // next run does not write it again.
            let part = if handing_over {
                self.config.part_bytes.min(self.config.min_part_bytes)
            } else {
                self.config.part_bytes
            };
            if csv.buffered() >= part {
                let bytes = csv.take().map_err(AppError::Internal)?;
                self.upload(job, bytes).await?;
                job.cursor = query.cursor.clone();
                job.rows += std::mem::take(&mut buffered_rows);
                if !self.checkpoint(job).await? {
                    return Ok(ExportStep::Skipped("another run took the export"));
                }
            }
            if handing_over {
                // The rows buffered since the checkpoint are read again by the next run.
                return self.hand_over(job.clone()).await;
            }
        }
        let bytes = csv.finish().map_err(AppError::Internal)?;
        job.rows += buffered_rows;
        match &job.upload_id {
            None if may_answer_inline && bytes.len() <= self.config.inline_bytes => {
                return Ok(ExportStep::Inline(bytes));
            }
            None => self
                .files
                .put_export(&job.key, bytes)
                .await
                .map_err(AppError::Internal)?,
            Some(_) => {
                // An export that ended on a part's boundary has no last part to add.
                if !bytes.is_empty() {
                    self.upload(job, bytes).await?;
                }
                let upload_id = job.upload_id.clone().unwrap_or_default();
                self.files
                    .complete_upload(&job.key, &upload_id, &job.parts)
                    .await
                    .map_err(AppError::Internal)?;
            }
        }
        job.status = ExportStatus::Completed;
        job.cursor = None;
        job.finished_at = Some(OffsetDateTime::now_utc());
        if !self.checkpoint(job).await? {
            return Ok(ExportStep::Skipped("another run took the export"));
        }
        Ok(ExportStep::Completed(Box::new(job.clone())))
    }
}

#[cfg(test)]
mod tests {
    //! The exporter over in-memory ports: parts, checkpoints, hand-overs and crashes.

    use std::collections::{BTreeMap, HashMap};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::executor::block_on;

    use super::*;
    use crate::ids::Actor;
    use crate::store::Page;
    use crate::user::User;

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    fn admin() -> Caller {
        Caller {
            actor: Actor::new("admin-1"),
            name: "Hannah Ruiz".into(),
            tenant: tenant(),
            roles: [CallerRole::Admin].into(),
            departments: Default::default(),
        }
    }

    fn user(i: usize) -> User {
        use crate::validation::{UserDraft, validate_user};
        let draft = UserDraft {
            login: Some(format!("user.{i:05}")),
            first_name: Some("Ann".into()),
            last_name: Some(format!("Lee{i}")),
            email: Some(format!("user{i}@example.com")),
            ..UserDraft::default()
        };
        let settings = crate::tenant::TenantSettings::default();
        let valid = validate_user(&draft, &settings, &std::collections::BTreeSet::new()).unwrap();
        User::new(tenant(), valid.profile, &Actor::new("admin-1"))
    }

    /// Users listed by position: the cursor is the index of the next one.
    struct Store {
        users: Vec<User>,
        jobs: Mutex<HashMap<ExportJobId, ExportJob>>,
    }

    impl Store {
        fn with_users(count: usize) -> Self {
            Self {
                users: (0..count).map(user).collect(),
                jobs: Mutex::default(),
            }
        }
    }

    impl ListUsers for Store {
        async fn list_users(&self, _: &TenantId, query: &UserQuery) -> StoreResult<Page<User>> {
            let from: usize = query.cursor.as_deref().map_or(0, |c| c.parse().unwrap());
            let to = (from + query.limit).min(self.users.len());
            Ok(Page {
                items: self.users[from..to].to_vec(),
                next_cursor: (to < self.users.len()).then(|| to.to_string()),
            })
        }
    }

    impl ExportJobStore for Store {
        async fn save_export(&self, expected: u64, job: &ExportJob) -> StoreResult<()> {
            let mut jobs = self.jobs.lock().unwrap();
            let stored = jobs.get(&job.id).map_or(0, |j| j.version);
            if stored != expected {
                return Err(StoreError::VersionMismatch);
            }
            jobs.insert(job.id, job.clone());
            Ok(())
        }

        async fn get_export(
            &self,
            _: &TenantId,
            id: &ExportJobId,
        ) -> StoreResult<Option<ExportJob>> {
            Ok(self.jobs.lock().unwrap().get(id).cloned())
        }
    }

    /// Objects and open uploads; `fail_part` makes that upload (1-based, counted over all
    /// runs) fail, as a crash between two parts would.
    #[derive(Default)]
    struct Files {
        objects: Mutex<HashMap<String, Vec<u8>>>,
        uploads: Mutex<HashMap<String, BTreeMap<i32, Vec<u8>>>>,
        parts_sent: AtomicUsize,
        fail_part: Option<usize>,
    }

    impl PartUploads for Files {
        async fn start_upload(&self, key: &str, _: &str) -> Result<String, String> {
            let id = format!("{key}-upload");
            self.uploads
                .lock()
                .unwrap()
                .insert(id.clone(), BTreeMap::new());
            Ok(id)
        }

        async fn upload_part(
            &self,
            _: &str,
            upload: &str,
            n: i32,
            bytes: Vec<u8>,
        ) -> Result<String, String> {
            let sent = self.parts_sent.fetch_add(1, Ordering::SeqCst) + 1;
            if self.fail_part == Some(sent) {
                return Err("connection reset".into());
            }
            let etag = format!("etag-{n}-{}", bytes.len());
            let mut uploads = self.uploads.lock().unwrap();
            uploads
                .get_mut(upload)
                .ok_or("no such upload")?
                .insert(n, bytes);
            Ok(etag)
        }

        async fn complete_upload(
            &self,
            key: &str,
            upload: &str,
            parts: &[UploadedPart],
        ) -> Result<(), String> {
            let stored = self
                .uploads
                .lock()
                .unwrap()
                .remove(upload)
                .ok_or("no such upload")?;
            let mut object = Vec::new();
            for part in parts {
                let bytes = &stored[&part.number];
                assert_eq!(part.etag, format!("etag-{}-{}", part.number, bytes.len()));
                object.extend_from_slice(bytes);
            }
            assert_eq!(parts.len(), stored.len(), "every uploaded part is listed");
            self.objects.lock().unwrap().insert(key.to_owned(), object);
            Ok(())
        }
    }

    impl ExportFiles for Files {
        async fn put_export(&self, key: &str, bytes: Vec<u8>) -> Result<(), String> {
            self.objects.lock().unwrap().insert(key.to_owned(), bytes);
            Ok(())
        }

        async fn export_link(&self, key: &str) -> Result<String, String> {
            Ok(format!("https://files/{key}"))
        }
    }

    #[derive(Default)]
    struct Queue(Mutex<Vec<ExportJobId>>);

    impl ContinueExport for Queue {
        async fn continue_export(&self, _: &TenantId, id: &ExportJobId) -> Result<(), String> {
            self.0.lock().unwrap().push(*id);
            Ok(())
        }
    }

    struct World {
        store: Store,
        files: Files,
        queue: Queue,
        config: ExportConfig,
    }

    impl World {
        fn new(users: usize, part_bytes: usize) -> Self {
            Self {
                store: Store::with_users(users),
                files: Files::default(),
                queue: Queue::default(),
                config: ExportConfig {
                    part_bytes,
                    min_part_bytes: part_bytes,
                    inline_bytes: 1024 * 1024,
                },
            }
        }

        fn exporter(&self) -> Exporter<'_, Store, Files, Queue> {
            Exporter {
                store: &self.store,
                files: &self.files,
                continuation: &self.queue,
                config: self.config,
            }
        }

        /// Runs every queued continuation, each handing over at once, until none is left.
        fn drain(&self) -> usize {
            let mut runs = 0;
            loop {
                let Some(id) = self.queue.0.lock().unwrap().pop() else {
                    return runs;
                };
                runs += 1;
                block_on(self.exporter().resume(&tenant(), &id, Instant::now())).unwrap();
            }
        }

        /// An admin's export whose request hands over at once.
        fn start_handing_over(&self) -> ExportJob {
            let step = block_on(self.exporter().start(
                &admin(),
                UserQuery::default(),
                Instant::now(),
            ));
            match step.unwrap() {
                ExportStep::Continued(job) => *job,
                other => panic!("not handed over: {other:?}"),
            }
        }

        fn object(&self, job: &ExportJob) -> String {
            String::from_utf8(self.files.objects.lock().unwrap()[&job.key].clone()).unwrap()
        }

        fn job(&self, id: &ExportJobId) -> ExportJob {
            self.store.jobs.lock().unwrap()[id].clone()
        }
    }

    /// The CSV holds the header once and every user once, in listing order.
    fn assert_every_user_once(csv: &str, users: usize) {
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().starts_with("id,login,"));
        let logins: Vec<String> = lines
            .map(|l| l.split(',').nth(1).unwrap().to_owned())
            .collect();
        let expected: Vec<String> = (0..users).map(|i| format!("user.{i:05}")).collect();
        assert_eq!(logins, expected);
    }

    #[test]
    fn a_small_export_is_answered_inline_and_stores_nothing() {
        let world = World::new(3, MIN_PART_BYTES);
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let step = block_on(world.exporter().start(&admin(), UserQuery::default(), far)).unwrap();
        let ExportStep::Inline(bytes) = step else {
            panic!("{step:?}")
        };
        assert_every_user_once(std::str::from_utf8(&bytes).unwrap(), 3);
        assert!(world.store.jobs.lock().unwrap().is_empty());
    }

    #[test]
    fn a_large_export_goes_on_in_parts_across_runs_and_writes_every_user_once() {
        // One listing page (200 users) per part; every run hands over after its first part.
        let world = World::new(650, 1);
        let job = world.start_handing_over();
        assert_eq!((job.rows, job.parts.len()), (200, 1));
        assert_eq!(world.drain(), 3);
        let done = world.job(&job.id);
        assert_eq!(done.status, ExportStatus::Completed);
        assert_eq!((done.rows, done.parts.len()), (650, 4));
        assert_every_user_once(&world.object(&done), 650);

        // A redelivered message finds the export ended and changes nothing.
        let again = block_on(world.exporter().resume(&tenant(), &job.id, Instant::now())).unwrap();
        assert!(matches!(again, ExportStep::Skipped(_)), "{again:?}");
        assert_eq!(world.job(&job.id).version, done.version);
    }

    #[test]
    fn a_crash_between_parts_resumes_from_the_checkpoint() {
        let mut world = World::new(500, 1);
        world.files.fail_part = Some(2);
        let far = Instant::now() + std::time::Duration::from_secs(60);
        // The API's run fails on its second part and hands the stored job over.
        let step = block_on(world.exporter().start(&admin(), UserQuery::default(), far)).unwrap();
        let ExportStep::Continued(job) = step else {
            panic!("{step:?}")
        };
        assert_eq!((job.rows, job.parts.len()), (200, 1));
        assert_eq!(world.drain(), 2, "from users 200-399, then 400-499");
        let done = world.job(&job.id);
        assert_eq!(
            (done.status, done.rows, done.parts.len()),
            (ExportStatus::Completed, 500, 3)
        );
        assert_every_user_once(&world.object(&done), 500);
    }

    #[test]
    fn an_export_handed_over_before_its_first_part_is_written_whole_once() {
        let world = World::new(250, MIN_PART_BYTES);
        let job = world.start_handing_over();
        assert_eq!((job.rows, job.cursor.as_deref()), (0, None));
        // Each worker run also hands over after its first page, and the next starts again.
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let id = world.queue.0.lock().unwrap().pop().unwrap();
        let step = block_on(world.exporter().resume(&tenant(), &id, far)).unwrap();
        assert!(matches!(step, ExportStep::Completed(_)), "{step:?}");
        let done = world.job(&id);
        assert_eq!(
            (done.status, done.rows, done.parts.len()),
            (ExportStatus::Completed, 250, 0)
        );
        assert_every_user_once(&world.object(&done), 250);
    }

    #[test]
    fn a_hand_over_uploads_what_is_buffered_when_the_bucket_takes_it_as_a_part() {
        // Parts of 1 MiB, but anything from 1 byte is a part: the first page goes up at the
        // hand-over and the next run starts after it.
        let mut world = World::new(450, 1024 * 1024);
        world.config.min_part_bytes = 1;
        let job = world.start_handing_over();
        assert_eq!((job.rows, job.parts.len()), (200, 1));
        assert_eq!(job.cursor.as_deref(), Some("200"));
        world.drain();
        let done = world.job(&job.id);
        assert_eq!(
            (done.status, done.rows, done.parts.len()),
            (ExportStatus::Completed, 450, 3)
        );
        assert_every_user_once(&world.object(&done), 450);
    }

    #[test]
    fn of_two_runs_of_one_job_only_one_goes_on() {
        let world = World::new(450, 1);
        let job = world.start_handing_over();
        // A stalled run's view of the job: the claim of a newer run made it stale.
        let stale = world.job(&job.id);
        block_on(world.exporter().resume(&tenant(), &job.id, Instant::now())).unwrap();
        let mut stale_run = stale.clone();
        let exporter = world.exporter();
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let step = block_on(exporter.run(&mut stale_run, far, false)).unwrap();
        assert!(matches!(step, ExportStep::Skipped(_)), "{step:?}");
        assert_eq!(
            world.drain(),
            2,
            "the newer run's continuation and the first one's"
        );
        let done = world.job(&job.id);
        assert_eq!(done.status, ExportStatus::Completed);
        assert_every_user_once(&world.object(&done), 450);
    }

    #[test]
    fn a_job_is_seen_by_its_requester_and_the_tenant_admins_only() {
        let job = ExportJob::new(&admin(), UserQuery::default());
        let mut other_admin = admin();
        other_admin.actor = Actor::new("admin-2");
        let mut manager = admin();
        manager.actor = Actor::new("manager-1");
        manager.roles = [CallerRole::Manager].into();
        let mut elsewhere = admin();
        elsewhere.tenant = TenantId::parse("globex").unwrap();
        assert!(job.visible_to(&admin()) && job.visible_to(&other_admin));
        assert!(!job.visible_to(&manager) && !job.visible_to(&elsewhere));
    }
}
