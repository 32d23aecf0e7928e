//! The import worker end to end against the emulator: files are put into the bucket, the
//! worker runs on the S3 events from events/, and users, job records and reports are checked.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use import_worker::{Worker, job_id_for};
use roster_aws::{DynamoStore, S3ImportFiles, SnsActivationPublisher, SqsContinuation};
use roster_domain::error::AppError;
use roster_domain::ids::{Actor, DepartmentId, ImportJobId, TenantId};
use roster_domain::import::files::{ImportFiles, ObjectRef};
use roster_domain::import::job::{
    ImportCounts, ImportJob, ImportMode, ImportStatus, Lease, Stage, Uploader, now_ms,
};
use roster_domain::import::runner::ImportConfig;
use roster_domain::import::sheet::{FileFormat, SheetEvent, read_csv, read_workbook};
use roster_domain::store::CreateUser;
use roster_domain::store::{FindUser, ImportJobStore, ImportShareStore, ListUsers, UserQuery};
use roster_domain::use_cases::imports::{Proceed, proceed_import};
use roster_domain::use_cases::imports::{cancel_import, track_import};
use roster_tests::apigw::{Call, claims};
use roster_tests::faults::{
    Fault, FaultyContinuation, FaultyFiles, FaultyStore, Plan, Throttle, ThrottleRule,
};
use roster_tests::http_put;
use roster_tests::messaging::ContinuationTap;
use roster_tests::{admin_of, counted_members, create_department, fresh_tenant};
use rust_xlsxwriter::Workbook;
use serde_json::{Value, json};

type TestWorker = Worker<DynamoStore, S3ImportFiles, SnsActivationPublisher, SqsContinuation>;

struct Env {
    worker: TestWorker,
    tenant: TenantId,
    bucket: String,
    /// This test's own continuation queue: the worker hands over to it.
    continuations: ContinuationTap,
}

impl Env {
    async fn new() -> Self {
        let config = roster_aws::load_aws_config().await;
        let mut worker = Worker::from_environment(&config).expect("run through scripts/test");
        let continuations = ContinuationTap::new().await;
        worker.continuation = continuations.continuation();
        let tenant = fresh_tenant();
        for dept in ["sales", "support"] {
            create_department(&worker.store, &tenant, &DepartmentId::parse(dept).unwrap()).await;
        }
        let bucket = std::env::var("ROSTER_IMPORT_BUCKET").unwrap();
        Self {
            worker,
            tenant,
            bucket,
            continuations,
        }
    }

    fn with_config(mut self, config: ImportConfig) -> Self {
        self.worker.config = config;
        self
    }

    /// Puts an object; its S3 version id.
    async fn put(&self, key: &str, bytes: Vec<u8>, metadata: &[(&str, &str)]) -> String {
        let s3 = roster_aws::s3_client(&roster_aws::load_aws_config().await);
        let mut put = s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes));
        for (k, v) in metadata {
            put = put.metadata(*k, *v);
        }
        let out = put.send().await.unwrap();
        out.version_id().unwrap_or_default().to_owned()
    }

    /// The sample S3 event, pointed at `key` of this bucket, as one upload (`version`).
    fn s3_event(&self, key: &str, version: &str) -> Value {
        let path = format!(
            "{}/../../events/import-worker/s3-put-dropped-csv.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let record = &mut event["Records"][0];
        record["s3"]["bucket"]["name"] = Value::from(self.bucket.clone());
        record["s3"]["object"]["key"] = Value::from(encode_key(key));
        record["s3"]["object"]["versionId"] = Value::from(version);
        event
    }

    /// Drops a file straight into `imports/{tenant}/` and runs the worker on its event.
    async fn drop_file(&self, name: &str, bytes: Vec<u8>, metadata: &[(&str, &str)]) -> ImportJob {
        let key = format!("imports/{}/{name}", self.tenant);
        let version = self.put(&key, bytes, metadata).await;
        let event = self.s3_event(&key, &version);
        self.worker
            .handle(event, None)
            .await
            .expect("the worker succeeds");
        let at = chrono_free_millis("2026-11-22T12:00:00.000Z");
        let id = job_id_for(&self.bucket, &key, &version, at);
        self.job(&id).await
    }

    async fn job(&self, id: &ImportJobId) -> ImportJob {
        self.worker
            .store
            .get_job(&self.tenant, id)
            .await
            .unwrap()
            .expect("the job exists")
    }

    /// The tenant's logins, sorted.
    async fn logins(&self) -> Vec<String> {
        let mut logins = self.all_logins().await;
        logins.sort();
        logins
    }

    /// Every login of the tenant, page by page (duplicates kept, to be counted).
    async fn all_logins(&self) -> Vec<String> {
        let mut logins = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .worker
                .store
                .list_users(
                    &self.tenant,
                    &UserQuery {
                        limit: 1000,
                        cursor,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            logins.extend(page.items.iter().map(|u| u.profile.login.to_string()));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return logins,
            }
        }
    }

    /// The report's lines (header first), read back with the importer's own reader.
    async fn report(&self, job: &ImportJob) -> Vec<Vec<String>> {
        let key = job.report_key.as_deref().expect("a report was written");
        let bytes = self
            .worker
            .files
            .download(ObjectRef::latest(key))
            .await
            .unwrap();
        let mut lines = Vec::new();
        let mut visit = |e: SheetEvent| {
            lines.push(match e {
                SheetEvent::Header(h) => h,
                SheetEvent::Row(r) => r.cells,
            });
            true
        };
        match FileFormat::from_name(key) {
            FileFormat::Csv => {
                read_csv(bytes.as_slice(), &mut visit).unwrap();
            }
            format => read_workbook(bytes, format, &mut visit).unwrap(),
        }
        lines
    }
}

fn chrono_free_millis(rfc3339: &str) -> u64 {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as u64
}

/// How S3 writes keys into events: URL-encoded, `+` for spaces.
fn encode_key(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b'/' | b'.' | b'-' | b'_' => (b as char).to_string(),
            b if b.is_ascii_alphanumeric() => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

const GOOD_CSV: &str = "\
Login;First Name;Last Name;Department;Email Address;Mobile Phone number;Password;Favourite colour
ann.lee;Ann;Lee;sales;ann@example.com;(201) 555-0101;Correct9horse;blue
bad login;Bob;Ray;sales;bob@example.com;;Secret9horse!;red
carl;Carl;;sales;carl@example.com;;;green
ANN.LEE;Annie;Lee;sales;annie@example.com;;;
dora;=HYPERLINK(\"x\");Day;nowhere;dora@example.com;;;
eve;Eve;Ng;support;eve@example.com;;;
";

#[tokio::test]
async fn a_dropped_csv_imports_valid_rows_and_reports_the_rest() {
    let env = Env::new().await;
    let job = env
        .drop_file(
            "New hires (Zürich).csv",
            GOOD_CSV.as_bytes().to_vec(),
            &[("uploaded-by", "hr-admin")],
        )
        .await;
    assert_eq!(job.status, ImportStatus::CompletedWithErrors, "{job:?}");
    assert_eq!(job.file_name, "New hires (Zürich).csv");
    assert_eq!(
        job.uploaded_by,
        Actor::new("AWS:AIDAEXAMPLEADMIN"),
        "the S3 principal is the uploader of record"
    );
    assert_eq!(job.uploaded_by_claimed.as_deref(), Some("hr-admin"));
    assert_eq!(job.uploader_name(), "hr-admin");
    assert!(job.object_version.is_some(), "the file's version is pinned");
    assert_eq!(job.progress, 100);
    assert_eq!(
        job.counts,
        ImportCounts {
            total: 6,
            created: 2,
            updated: 0,
            skipped: 1,
            failed: 3,
            conflicts: 0
        }
    );
    assert!(
        job.warnings.iter().any(|w| w.contains("Favourite colour")),
        "{:?}",
        job.warnings
    );
    assert_eq!(env.logins().await, vec!["ann.lee", "eve"]);
    let ann = env
        .worker
        .store
        .find_by_login(&env.tenant, "ann.lee")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ann.profile.mobile_phone.unwrap().as_str(), "+12015550101");
    assert!(
        ann.password_hash
            .unwrap()
            .as_phc()
            .starts_with("$argon2id$")
    );

    let report = env.report(&job).await;
    assert_eq!(report[0].first().unwrap(), "Row");
    assert_eq!(report[0].last().unwrap(), "Errors");
    assert_eq!(report[0][1], "Login");
    let rows: Vec<&str> = report[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        rows,
        vec!["3", "4", "5", "6"],
        "row numbers as in the sheet"
    );
    let by_row = |n: &str| report.iter().find(|r| r[0] == n).unwrap().clone();
    assert!(by_row("3").last().unwrap().contains("login:"));
    assert_eq!(by_row("3")[7], "********", "passwords are masked");
    assert!(
        by_row("4")
            .last()
            .unwrap()
            .contains("last_name: is required")
    );
    assert!(by_row("5").last().unwrap().contains("duplicate of row 2"));
    assert_eq!(by_row("6")[2], "'=HYPERLINK(\"x\")", "formulas neutralised");
    assert!(by_row("6").last().unwrap().contains("department_id"));
    let all = report.concat().join("|");
    assert!(!all.contains("Secret9horse") && !all.contains("Correct9horse"));
    // The summary sits beside the report.
    let summary = env
        .worker
        .files
        .download(ObjectRef::latest(&format!(
            "reports/{}/{}/summary.json",
            env.tenant, job.id
        )))
        .await
        .unwrap();
    let summary: Value = serde_json::from_slice(&summary).unwrap();
    assert_eq!(summary["counts"]["created"], 2);
}

#[tokio::test]
async fn a_dropped_file_with_a_mode_that_is_not_one_fails_naming_it() {
    let env = Env::new().await;
    let job = env
        .drop_file(
            "typo.csv",
            GOOD_CSV.as_bytes().to_vec(),
            &[("mode", "upsrt")],
        )
        .await;
    assert_eq!(job.status, ImportStatus::Failed, "{job:?}");
    assert!(
        job.error.as_deref().unwrap_or_default().contains("'upsrt'"),
        "{job:?}"
    );
    assert_eq!(
        env.logins().await,
        Vec::<String>::new(),
        "nothing was imported"
    );
}

#[tokio::test]
async fn the_same_event_twice_runs_one_job() {
    let env = Env::new().await;
    let key = format!("imports/{}/twice.csv", env.tenant);
    env.put(&key, GOOD_CSV.as_bytes().to_vec(), &[]).await;
    let event = env.s3_event(&key, "v-once");
    env.worker.handle(event.clone(), None).await.unwrap();
    env.worker.handle(event, None).await.unwrap();
    let jobs = env
        .worker
        .store
        .list_jobs(
            &env.tenant,
            time::OffsetDateTime::UNIX_EPOCH,
            time::OffsetDateTime::now_utc() + time::Duration::days(400),
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].counts.created, 2);
    assert_eq!(env.logins().await, vec!["ann.lee", "eve"]);
}

#[tokio::test]
async fn objects_outside_the_prefix_are_ignored() {
    let env = Env::new().await;
    let key = format!("reports/{}/elsewhere.csv", env.tenant);
    env.put(&key, GOOD_CSV.as_bytes().to_vec(), &[]).await;
    env.worker
        .handle(env.s3_event(&key, "v1"), None)
        .await
        .unwrap();
    let outside = format!(
        "{}/../../events/import-worker/s3-put-outside-prefix.json",
        env!("CARGO_MANIFEST_DIR")
    );
    env.worker
        .handle(
            serde_json::from_str(&std::fs::read_to_string(outside).unwrap()).unwrap(),
            None,
        )
        .await
        .unwrap();
    assert!(env.logins().await.is_empty());
}

fn xlsx(rows: &[Vec<XCell>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 2, c as u16); // two blank rows before the header
            match cell {
                XCell::Text(t) => {
                    sheet.write_string(r, c, *t).unwrap();
                }
                XCell::Number(n) => {
                    sheet.write_number(r, c, *n).unwrap();
                }
                XCell::Formula(f) => {
                    sheet.write_formula(r, c, *f).unwrap();
                }
                XCell::Empty => {}
            }
        }
    }
    book.save_to_buffer().unwrap()
}

enum XCell {
    Text(&'static str),
    Number(f64),
    Formula(&'static str),
    Empty,
}

#[tokio::test]
async fn an_api_created_job_imports_an_xlsx_with_numeric_phones_and_imeis() {
    use XCell::*;
    let env = Env::new().await;
    let id = ImportJobId::generate();
    let key = format!("imports/{}/{id}/fleet.xlsx", env.tenant);
    let job = ImportJob::new(
        id,
        env.tenant.clone(),
        "fleet.xlsx".into(),
        key.clone(),
        ImportMode::Partial,
        Uploader {
            actor: Actor::new("admin-1"),
            name: "Admin One".into(),
            claimed_by: None,
        },
    );
    env.worker.store.create_job(&job).await.unwrap();
    let bytes = xlsx(&[
        vec![
            Text("User Login"),
            Text("FirstName"),
            Text("last_name"),
            Text("Department"),
            Text("Mobile Phone"),
            Text("Activation Method"),
            Text("IMEI"),
            Text("Kind"),
            Text("Client Type"),
            Text("Priority"),
        ],
        vec![
            Text("Bus.57"),
            Text("Bus"),
            Text("Fifty"),
            Text("sales"),
            Number(2015550123.0),
            Text("manual"),
            Number(490154203237518.0),
            Text("person"),
            Text("android"),
            Number(3.0),
        ],
        vec![
            Text("Queue.1"),
            Text("Queue"),
            Text("One"),
            Text("sales"),
            Number(2015550124.0),
            Empty,
            Empty,
            Text("RTP Gateway"),
            Empty,
            Formula("=1+9"),
        ],
    ]);
    env.put(&key, bytes, &[]).await;
    let sample = format!(
        "{}/../../events/import-worker/s3-put-api-job.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(sample)
        .unwrap()
        .replace("roster-imports", &env.bucket)
        .replace(
            "imports/acme/01JD00000000000000000J0B01/users.xlsx",
            &format!("imports/{}/{id}/fleet.xlsx", env.tenant),
        );
    env.worker
        .handle(serde_json::from_str(&text).unwrap(), None)
        .await
        .unwrap();
    env.worker
        .handle(serde_json::from_str(&text).unwrap(), None)
        .await
        .unwrap();

    let job = env.job(&id).await;
    assert_eq!(job.status, ImportStatus::CompletedWithErrors, "{job:?}");
    assert_eq!((job.counts.created, job.counts.failed), (1, 1));
    let bus = env
        .worker
        .store
        .find_by_login(&env.tenant, "bus.57")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bus.profile.mobile_phone.unwrap().as_str(), "+12015550123");
    assert_eq!(bus.profile.imei.unwrap().as_str(), "490154203237518");
    assert_eq!(bus.profile.priority.get(), 3);
    let report = env.report(&job).await;
    assert!(
        job.report_key.unwrap().ends_with(".xlsx"),
        "spreadsheets get an XLSX report"
    );
    assert_eq!(
        report[1][0], "5",
        "the row number a person sees (two blank rows, header on row 3)"
    );
    assert!(
        report[1].last().unwrap().contains("client_type"),
        "{report:?}"
    );
}

fn many_rows(n: usize, bad_every: usize) -> Vec<u8> {
    let mut text = String::from("login,first_name,last_name,department_id,email\n");
    for i in 0..n {
        let last = if bad_every > 0 && i % bad_every == bad_every - 1 {
            ""
        } else {
            "Row"
        };
        text.push_str(&format!(
            "user{i:04},User,{last},sales,user{i}@example.com\n"
        ));
    }
    text.into_bytes()
}

/// Feeds the test's continuation messages back to the worker until none is left.
async fn drain_continuations(env: &Env) -> usize {
    let mut rounds = 0;
    loop {
        let handed_over = run_handed_over(env, &env.continuations).await;
        if handed_over == 0 {
            return rounds;
        }
        rounds += handed_over;
        assert!(rounds < 200, "the job never finishes");
    }
}

/// Rewinds a running job to its start, as if its checkpoints had never been saved.
async fn lose_checkpoint(env: &Env, job: &ImportJobId) {
    let mut stale = env.job(job).await;
    let expected = stale.version;
    stale.next_row = 0;
    stale.counts.created = 0;
    stale.version += 1;
    env.worker.store.save_job(expected, &stale).await.unwrap();
}

#[tokio::test]
async fn a_tiny_time_budget_checkpoints_and_continues_without_losing_or_repeating_rows() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 4,
        write_concurrency: 3,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let job = env.drop_file("big.csv", many_rows(30, 7), &[]).await;
    assert_eq!(job.status, ImportStatus::InProgress);
    assert_eq!(job.next_row, 4, "one chunk per invocation");
    let rounds = drain_continuations(&env).await;
    assert!(rounds >= 6, "continued {rounds} times");
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::CompletedWithErrors);
    assert_eq!(
        job.counts,
        ImportCounts {
            total: 30,
            created: 26,
            updated: 0,
            skipped: 0,
            failed: 4,
            conflicts: 0
        }
    );
    assert_eq!(env.logins().await.len(), 26);
    let report = env.report(&job).await;
    assert_eq!(report.len(), 5, "each failed row reported once");
}

#[tokio::test]
async fn a_lost_checkpoint_resumes_without_duplicates() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 5,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let job = env.drop_file("crash.csv", many_rows(12, 0), &[]).await;
    // As if the invocation died after writing its chunk but before saving the checkpoint.
    lose_checkpoint(&env, &job.id).await;
    drain_continuations(&env).await;
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
    assert_eq!(job.counts.created, 12);
    assert_eq!(
        job.counts.failed, 0,
        "rows written before the crash are not conflicts"
    );
    assert_eq!(env.logins().await.len(), 12);
}

#[tokio::test]
async fn modes_all_or_nothing_validate_only_and_upsert() {
    let env = Env::new().await;
    let job = env
        .drop_file("strict.csv", many_rows(8, 5), &[("mode", "all_or_nothing")])
        .await;
    assert_eq!(
        (job.mode, job.status),
        (ImportMode::AllOrNothing, ImportStatus::Failed)
    );
    assert!(
        job.error
            .as_deref()
            .unwrap()
            .contains("nothing was imported")
    );
    assert!(env.logins().await.is_empty());
    assert!(job.report_key.is_some());

    let job = env
        .drop_file(
            "clean-strict.csv",
            many_rows(6, 0),
            &[("mode", "all_or_nothing")],
        )
        .await;
    assert_eq!(
        (job.status, job.counts.created),
        (ImportStatus::Completed, 6)
    );

    let dry = env
        .drop_file("dry.csv", many_rows(9, 0), &[("mode", "validate_only")])
        .await;
    assert_eq!(
        dry.status,
        ImportStatus::CompletedWithErrors,
        "rows 0-5 already exist: {dry:?}"
    );
    assert_eq!(
        (dry.counts.created, dry.counts.failed, dry.counts.conflicts),
        (0, 0, 6),
        "existing logins are conflicts, counted apart from invalid rows"
    );
    assert_eq!(env.logins().await.len(), 6, "a dry run writes nothing");

    let upsert_file = "login,first_name,last_name,department_id,email\nuser0001,Changed,Name,support,\nnewbie,New,Person,sales,newbie@example.com\n";
    let up = env
        .drop_file(
            "upsert.csv",
            upsert_file.as_bytes().to_vec(),
            &[("mode", "upsert")],
        )
        .await;
    assert_eq!(
        (up.status, up.counts.updated, up.counts.created),
        (ImportStatus::Completed, 1, 1),
        "{up:?}"
    );
    let changed = env
        .worker
        .store
        .find_by_login(&env.tenant, "user0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.profile.first_name, "Changed");
    assert_eq!(
        changed.profile.department_id.as_ref().map(|d| d.as_str()),
        Some("support")
    );
    assert_eq!(
        changed.profile.email.unwrap().as_str(),
        "user1@example.com",
        "blank cells keep values"
    );
}

#[tokio::test]
async fn a_cancelled_job_stops_within_a_chunk() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 3,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let job = env.drop_file("cancel.csv", many_rows(15, 0), &[]).await;
    let mut current = env.job(&job.id).await;
    let expected = current.version;
    current.status = ImportStatus::Cancelled;
    current.version += 1;
    env.worker.store.save_job(expected, &current).await.unwrap();
    drain_continuations(&env).await;
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::Cancelled);
    assert_eq!(
        env.logins().await.len(),
        3,
        "only the first chunk was written"
    );
}

/// A workbook whose sheet declares a huge size but holds two rows.
fn lying_dimensions() -> Vec<u8> {
    use std::io::{Read, Write};
    let good = xlsx(&[
        vec![
            XCell::Text("login"),
            XCell::Text("first_name"),
            XCell::Text("last_name"),
            XCell::Text("department_id"),
            XCell::Text("email"),
        ],
        vec![
            XCell::Text("wide"),
            XCell::Text("W"),
            XCell::Text("Ide"),
            XCell::Text("sales"),
            XCell::Text("wide@example.com"),
        ],
    ]);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(good)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name.ends_with("sheet1.xml") {
            let text = String::from_utf8(data).unwrap();
            let start = text.find("<dimension ref=\"").unwrap();
            let end = start + text[start..].find("/>").unwrap() + 2;
            data = format!(
                "{}<dimension ref=\"A1:XFD1048576\"/>{}",
                &text[..start],
                &text[end..]
            )
            .into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A zip whose one part inflates to more than the allowed total.
fn zip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().large_file(true);
    out.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..(2 * 1024 + 16) {
        out.write_all(&zeros).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn hostile_and_broken_files_fail_clearly() {
    let env = Env::new().await;
    let mut million_and_one = String::from("login,first_name,last_name,department_id,email\n");
    for i in 0..1_000_001 {
        million_and_one.push_str(&format!("u{i},A,B,sales,u{i}@x.io\n"));
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.csv", vec![], "empty"),
        (
            "header-only.csv",
            b"login,first_name,last_name,department_id,email\n".to_vec(),
            "no rows",
        ),
        (
            "garbage.xlsx",
            b"\x00\x01 definitely not a spreadsheet".to_vec(),
            "not a readable spreadsheet",
        ),
        (
            "locked.xlsx",
            [&b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"[..], &[0u8; 600][..]].concat(),
            "password-protected",
        ),
        (
            "binary.csv",
            b"\x00\x9f\x92\x96\x00\xff\xfe garbage".to_vec(),
            "not text",
        ),
        (
            "missing-columns.csv",
            b"login,first name,email\nann,Ann,a@x.io\n".to_vec(),
            "no last_name column",
        ),
        (
            "too-many.csv",
            million_and_one.into_bytes(),
            "more than 1000000 data rows",
        ),
        ("bomb.xlsx", zip_bomb(), "would unpack"),
    ];
    for (name, bytes, message) in cases {
        let job = env.drop_file(name, bytes, &[]).await;
        assert_eq!(job.status, ImportStatus::Failed, "{name}: {job:?}");
        let error = job.error.clone().unwrap_or_default();
        assert!(error.contains(message), "{name}: {error}");
        assert_eq!(job.counts.created, 0);
    }
    assert!(env.logins().await.is_empty(), "no file wrote anything");

    let ragged = b"login,first_name,last_name,department_id,email\nrag1,A,B,sales,r1@x.io,extra,cells\nrag2,A\n".to_vec();
    let job = env.drop_file("ragged.csv", ragged, &[]).await;
    assert_eq!((job.counts.created, job.counts.failed), (1, 1), "{job:?}");

    let job = env.drop_file("wide.xlsx", lying_dimensions(), &[]).await;
    assert_eq!(
        (job.status, job.counts.created),
        (ImportStatus::Completed, 1),
        "{job:?}"
    );

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["login", "first_name", "last_name", "department_id", "email"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet
        .merge_range(1, 0, 1, 1, "merged", &rust_xlsxwriter::Format::new())
        .unwrap();
    sheet.write_string(1, 2, "Cell").unwrap();
    sheet.write_string(1, 3, "sales").unwrap();
    sheet.write_formula(1, 4, "=\"m\"&\"@x.io\"").unwrap();
    let job = env
        .drop_file("merged.xlsx", book.save_to_buffer().unwrap(), &[])
        .await;
    assert_eq!(job.counts.failed, 1, "{job:?}");
    let report = env.report(&job).await;
    assert!(
        report[1]
            .last()
            .unwrap()
            .contains("first_name: is required"),
        "{report:?}"
    );
}

#[tokio::test]
async fn xls_and_ods_files_import_too() {
    let env = Env::new().await;
    for (name, login, phone) in [
        ("users.xls", "xls.one", "+12015550131"),
        ("users.ods", "ods.one", "+12015550131"),
    ] {
        let bytes = std::fs::read(format!(
            "{}/../../tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let job = env.drop_file(name, bytes, &[]).await;
        assert_eq!(
            job.status,
            ImportStatus::CompletedWithErrors,
            "{name}: {job:?}"
        );
        assert_eq!((job.counts.created, job.counts.failed), (1, 1), "{name}");
        let user = env
            .worker
            .store
            .find_by_login(&env.tenant, login)
            .await
            .unwrap()
            .expect(name);
        assert_eq!(
            user.profile.mobile_phone.unwrap().as_str(),
            phone,
            "{name}: numeric phone cells keep their digits"
        );
        let report = env.report(&job).await;
        let extension = name.rsplit('.').next().unwrap();
        assert!(
            job.report_key.as_deref().unwrap().ends_with(extension),
            "{name}: the report comes back in the uploaded format"
        );
        assert!(
            report[1].last().unwrap().contains("last_name"),
            "{name}: {report:?}"
        );
    }
}

#[tokio::test]
async fn imported_users_with_send_text_get_activation_requests() {
    let tap = roster_tests::messaging::TopicTap::subscribe().await;
    let env = Env::new().await;
    let mut csv = String::from("login,first_name,last_name,department_id,mobile_phone,send_text\n");
    for i in 0..12 {
        csv.push_str(&format!(
            "texted{i},T,X,sales,+1201555{:04},{}\n",
            100 + i,
            if i < 11 { "yes" } else { "no" }
        ));
    }
    let job = env.drop_file("texted.csv", csv.into_bytes(), &[]).await;
    assert_eq!(job.counts.created, 12);
    let requests: Vec<Value> = tap
        .drain()
        .await
        .into_iter()
        .filter(|m| m["tenant_id"] == env.tenant.as_str())
        .collect();
    assert_eq!(requests.len(), 11, "one welcome per user with send_text");
    assert!(
        requests
            .iter()
            .all(|r| r["reason"] == "welcome" && r["channels"] == serde_json::json!(["sms"]))
    );
    assert!(
        requests.iter().all(|r| r["request_id"]
            == format!("import-{}-{}", job.id, r["user_id"].as_str().unwrap()).as_str()),
        "welcome ids derive from the job and the user"
    );
}

#[tokio::test]
async fn a_resumed_chunk_requests_the_same_welcomes_again_under_the_same_ids() {
    let tap = roster_tests::messaging::TopicTap::subscribe().await;
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 5,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let mut csv = String::from("login,first_name,last_name,department_id,mobile_phone,send_text\n");
    for i in 0..12 {
        csv.push_str(&format!("again{i},T,X,sales,+1201555{:04},yes\n", 200 + i));
    }
    let job = env.drop_file("again.csv", csv.into_bytes(), &[]).await;
    // As if the invocation died after publishing its chunk's welcomes but before saving the
    // checkpoint: the first chunk runs again.
    lose_checkpoint(&env, &job.id).await;
    drain_continuations(&env).await;
    assert_eq!(env.job(&job.id).await.counts.created, 12);
    let requests: Vec<Value> = tap
        .drain()
        .await
        .into_iter()
        .filter(|m| m["tenant_id"] == env.tenant.as_str())
        .collect();
    let ids: std::collections::BTreeSet<&str> = requests
        .iter()
        .map(|r| r["request_id"].as_str().unwrap())
        .collect();
    assert!(
        requests.len() > 12,
        "the rerun chunk requested its welcomes again"
    );
    assert_eq!(
        ids.len(),
        12,
        "under one id per user, so the sender texts once"
    );
}

/// Seed 003's sheet (no Department column is added by issue 12; until then it carries one).
const TEAM_CSV: &str = "\
First Name,Last Name,Login ID,Email ID,Department
Ann,Lee,ann.lee,ann.other@example.com,sales
Bob,Ray,bob.ray,bob@example.com,sales
Cy,,cy.x,cy@example.com,sales
";

/// An admin of `tenant`, as the imports API sees one.
/// Runs the worker on every continuation waiting in `tap` (what a proceed handed over).
async fn run_handed_over(env: &Env, tap: &ContinuationTap) -> usize {
    let events = handed_over_events(env, tap).await;
    for event in &events {
        env.worker.handle(event.clone(), None).await.unwrap();
    }
    events.len()
}

/// This test's continuation messages, as the SQS events that would deliver them.
async fn handed_over_events(env: &Env, tap: &ContinuationTap) -> Vec<Value> {
    let sample = format!(
        "{}/../../events/import-worker/sqs-continuation.json",
        env!("CARGO_MANIFEST_DIR")
    );
    // Only this test's jobs: a sweep may have queued continuations of other tenants' jobs.
    let bodies: Vec<Value> = tap
        .drain()
        .await
        .into_iter()
        .filter(|b| b["tenant_id"] == env.tenant.as_str())
        .collect();
    bodies
        .iter()
        .map(|body| {
            let mut event: Value =
                serde_json::from_str(&std::fs::read_to_string(&sample).unwrap()).unwrap();
            event["Records"][0]["body"] = Value::from(body.to_string());
            event
        })
        .collect()
}

async fn existing_ann(env: &Env) {
    let sales = DepartmentId::parse("sales").unwrap();
    let ann = roster_tests::person(&env.tenant, &sales, "ann.lee", "Ann", "Lee", None);
    env.worker.store.create_user(&ann).await.unwrap();
}

async fn text_report(env: &Env, job: &ImportJob) -> String {
    let key = job.text_report_key.as_deref().expect("a text report");
    let bytes = env
        .worker
        .files
        .download(ObjectRef::latest(key))
        .await
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn a_dry_run_counts_conflicts_and_proceeds_with_the_file_it_validated() {
    let env = Env::new().await;
    existing_ann(&env).await;
    let dry = env
        .drop_file(
            "team.csv",
            TEAM_CSV.as_bytes().to_vec(),
            &[("mode", "validate_only")],
        )
        .await;
    assert_eq!(dry.status, ImportStatus::CompletedWithErrors, "{dry:?}");
    assert_eq!(
        (
            dry.counts.total,
            dry.counts.created,
            dry.counts.failed,
            dry.counts.conflicts
        ),
        (3, 0, 1, 1),
        "{dry:?}"
    );
    let report = env.report(&dry).await;
    assert_eq!(report.len(), 3, "header and two rows: {report:?}");
    assert!(
        report[1]
            .last()
            .unwrap()
            .contains("login: conflict: this login belongs to an existing user"),
        "{report:?}"
    );
    let text = text_report(&env, &dry).await;
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.starts_with("Row 2 (login \"ann.lee\"): login: conflict"),
        "{text}"
    );
    assert!(
        text.contains("Row 4 (login \"cy.x\"): last_name: is required"),
        "{text}"
    );
    assert_eq!(
        env.logins().await,
        vec!["ann.lee"],
        "a dry run writes nothing"
    );

    // Someone drops another file at the same key; the job still imports the one it validated.
    let key = format!("imports/{}/team.csv", env.tenant);
    let swapped =
        "First Name,Last Name,Login ID,Email ID,Department\nZed,Zulu,zed.z,zed@example.com,sales\n";
    env.put(&key, swapped.as_bytes().to_vec(), &[]).await;

    let tap = ContinuationTap::new().await;
    let caller = admin_of(&env.tenant);
    let bad = Proceed {
        mode: "validate_only".into(),
    };
    let refused = proceed_import(
        &env.worker.store,
        &tap.continuation(),
        &caller,
        &dry.id,
        bad,
    )
    .await;
    assert!(
        matches!(refused, Err(AppError::Validation(_))),
        "{refused:?}"
    );
    // Two admins click Proceed at once: one wins, the other is told the job moved on.
    let go = || Proceed {
        mode: "partial".into(),
    };
    let continuation = tap.continuation();
    let (a, b) = futures::join!(
        proceed_import(&env.worker.store, &continuation, &caller, &dry.id, go()),
        proceed_import(&env.worker.store, &continuation, &caller, &dry.id, go()),
    );
    assert_eq!(
        [&a, &b].iter().filter(|r| r.is_ok()).count(),
        1,
        "{a:?} {b:?}"
    );
    assert!(
        [&a, &b]
            .iter()
            .any(|r| matches!(r, Err(AppError::Conflict { .. })))
    );
    let queued = a.or(b).unwrap();
    assert_eq!(
        (queued.status, queued.mode),
        (ImportStatus::Queued, ImportMode::Partial)
    );
    assert_eq!(
        queued.counts,
        ImportCounts::default(),
        "counts start afresh"
    );
    assert_eq!(
        run_handed_over(&env, &tap).await,
        1,
        "handed to the worker once"
    );

    let done = env.job(&dry.id).await;
    assert_eq!(done.status, ImportStatus::CompletedWithErrors, "{done:?}");
    assert_eq!(
        (
            done.counts.total,
            done.counts.created,
            done.counts.failed,
            done.counts.conflicts
        ),
        (3, 1, 1, 1),
        "{done:?}"
    );
    assert_eq!(
        env.logins().await,
        vec!["ann.lee", "bob.ray"],
        "the validated file, not the swapped one"
    );
    assert_eq!(
        env.report(&done).await.len(),
        3,
        "the report is replaced, not appended to"
    );
    assert_eq!(text_report(&env, &done).await.lines().count(), 2);

    let again = proceed_import(
        &env.worker.store,
        &tap.continuation(),
        &caller,
        &dry.id,
        go(),
    )
    .await;
    assert!(matches!(again, Err(AppError::Conflict { .. })), "{again:?}");
    assert!(tap.drain().await.is_empty(), "nothing more was handed over");
}

async fn api(
    app: &imports_api::App<DynamoStore, S3ImportFiles, SqsContinuation>,
    call: Call,
) -> (u16, Value) {
    let response = imports_api::handle(app, call.request()).await;
    let status = response.status().as_u16();
    let body = match response.into_body() {
        lambda_http::Body::Text(t) => serde_json::from_str(&t).unwrap_or(Value::String(t)),
        _ => Value::Null,
    };
    (status, body)
}

#[tokio::test]
async fn the_pre_signed_flow_validates_then_proceeds_over_http() {
    let env = Env::new().await;
    existing_ann(&env).await;
    let tap = ContinuationTap::new().await;
    let config = roster_aws::load_aws_config().await;
    let app = imports_api::App {
        store: DynamoStore::from_environment(&config).unwrap(),
        files: S3ImportFiles::from_environment(&config).unwrap(),
        continuation: tap.continuation(),
    };
    let mut admin = claims("admin-1", env.tenant.as_str(), &["admin"], &[]);
    admin["email"] = Value::from("hannah@example.com");
    let (status, created) = api(
        &app,
        Call::new("POST", "/v1/imports")
            .as_caller(admin.clone())
            .json(serde_json::json!({"file_name": "team.csv", "mode": "validate_only"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["job"]["uploaded_by_name"], "hannah@example.com");
    let id = ImportJobId::parse(created["job"]["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        http_put(created["upload_url"].as_str().unwrap(), TEAM_CSV.as_bytes()),
        200
    );

    // The bucket's event for that upload.
    let key = format!("imports/{}/{id}/team.csv", env.tenant);
    let head = env
        .worker
        .files
        .head(ObjectRef::latest(&key))
        .await
        .unwrap()
        .unwrap();
    let mut event = env.s3_event(&key, head.version_id.as_deref().unwrap_or_default());
    event["Records"][0]["s3"]["object"]["key"] = Value::from(encode_key(&key));
    env.worker.handle(event, None).await.unwrap();

    let (_, job) = api(
        &app,
        Call::new("GET", &format!("/v1/imports/{id}")).as_caller(admin.clone()),
    )
    .await;
    assert_eq!(
        (job["status"].as_str(), job["mode"].as_str()),
        (Some("completed_with_errors"), Some("validate_only"))
    );
    assert_eq!(job["counts"]["conflicts"], 1, "{job}");
    assert_eq!(job["counts"]["failed"], 1, "{job}");

    let (status, link) = api(
        &app,
        Call::new("GET", &format!("/v1/imports/{id}/report"))
            .query("format", "txt")
            .as_caller(admin.clone()),
    )
    .await;
    assert_eq!(status, 200, "{link}");
    let (status, text) = roster_tests::http_get(link["url"].as_str().unwrap());
    let text = String::from_utf8(text).unwrap();
    assert_eq!(status, 200);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("ann.lee") && text.contains("belongs to an existing user"),
        "{text}"
    );
    let (status, _) = api(
        &app,
        Call::new("GET", &format!("/v1/imports/{id}/report"))
            .query("format", "pdf")
            .as_caller(admin.clone()),
    )
    .await;
    assert_eq!(status, 400);

    let proceed = |mode: &str| {
        Call::new("POST", &format!("/v1/imports/{id}/proceed"))
            .as_caller(admin.clone())
            .json(serde_json::json!({ "mode": mode }))
    };
    let (status, reply) = api(&app, proceed("sideways")).await;
    assert_eq!(
        (status, reply["error"]["fields"][0]["field"].as_str()),
        (422, Some("mode")),
        "{reply}"
    );
    let analyst = claims("a-1", env.tenant.as_str(), &["analyst"], &[]);
    let (status, _) = api(
        &app,
        Call::new("POST", &format!("/v1/imports/{id}/proceed"))
            .as_caller(analyst)
            .json(serde_json::json!({ "mode": "upsert" })),
    )
    .await;
    assert_eq!(status, 403);
    let (status, reply) = api(&app, proceed("upsert")).await;
    assert_eq!(
        (status, reply["status"].as_str(), reply["mode"].as_str()),
        (202, Some("queued"), Some("upsert")),
        "{reply}"
    );
    let (status, _) = api(&app, proceed("upsert")).await;
    assert_eq!(status, 409, "proceeding twice imports once");
    assert_eq!(run_handed_over(&env, &tap).await, 1);

    let (_, job) = api(
        &app,
        Call::new("GET", &format!("/v1/imports/{id}")).as_caller(admin.clone()),
    )
    .await;
    assert_eq!(job["status"], "completed_with_errors", "{job}");
    // Upsert: ann.lee's row updates her (her e-mail is free), bob is created, cy still fails.
    assert_eq!(
        (
            &job["counts"]["created"],
            &job["counts"]["updated"],
            &job["counts"]["failed"],
            &job["counts"]["conflicts"]
        ),
        (
            &Value::from(1),
            &Value::from(1),
            &Value::from(1),
            &Value::from(0)
        ),
        "{job}"
    );
    assert_eq!(env.logins().await, vec!["ann.lee", "bob.ray"]);

    let (_, list) = api(
        &app,
        Call::new("GET", "/v1/imports")
            .query("sort", "uploaded_by")
            .as_caller(admin),
    )
    .await;
    assert_eq!(
        list["items"][0]["uploaded_by_name"], "hannah@example.com",
        "{list}"
    );
}

/// Puts tenant settings as an admin would (PUT /v1/tenant goes through the same store).
async fn with_settings(env: &Env, settings: roster_domain::tenant::TenantSettings) {
    use roster_domain::store::TenantSettingsStore;
    env.worker
        .store
        .put_settings(&env.tenant, &settings)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_seeds_own_sheets_import_without_a_department_column() {
    use XCell::*;
    let env = Env::new().await;
    // Seed 001's Excel columns, word for word.
    let header = [
        "First Name",
        "Last Name",
        "Login",
        "Password",
        "Mobile Phone number",
        "Business Phone number",
        "Email Address",
        "Company",
        "Unique Customer Code",
        "UDID",
    ];
    let sheet = xlsx(&[
        header.iter().map(|h| Text(h)).collect(),
        vec![
            Text("Nora"),
            Text("Quinn"),
            Text("Nora.Quinn"),
            Text("Sunny9Meadow"),
            Number(2015550141.0),
            Text("+1 201 555 0142"),
            Text("nora@example.com"),
            Text("Acme"),
            Text("C-17"),
            Text("UD-1"),
        ],
    ]);
    let job = env.drop_file("example.xlsx", sheet, &[]).await;
    assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
    assert!(
        job.warnings.is_empty(),
        "every seed column is known: {:?}",
        job.warnings
    );
    let nora = env
        .worker
        .store
        .find_by_login(&env.tenant, "nora.quinn")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nora.profile.department_id, None);
    assert_eq!(nora.profile.customer_code.as_deref(), Some("C-17"));
    assert!(nora.password_hash.is_some());

    // Seed 003's upload CSV: e-mail logins, Email ID blank when it is the login.
    with_settings(
        &env,
        roster_domain::tenant::TenantSettings {
            logins_may_be_emails: true,
            ..Default::default()
        },
    )
    .await;
    let csv = "First Name,Last Name,Login ID,Email ID\nOmar,Said,omar@example.com,\nPia,Lund,pia.lund,pia@example.com\n";
    let job = env
        .drop_file("team.csv", csv.as_bytes().to_vec(), &[])
        .await;
    assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
    let omar = env
        .worker
        .store
        .find_by_email(&env.tenant, "OMAR@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(omar.profile.login.as_str(), "omar@example.com");
}

#[tokio::test]
async fn department_cells_name_departments_and_policies_bind() {
    let env = Env::new().await;
    let csv = "Login,First Name,Last Name,Email,Department\n\
        ann,Ann,Lee,ann@example.com,Department sales\n\
        bob,Bob,Ray,bob@example.com,SUPPORT\n\
        cy,Cy,Fox,cy@example.com,Nowhere\n\
        dee,Dee,Ng,dee@example.com,\n";
    let job = env
        .drop_file("depts.csv", csv.as_bytes().to_vec(), &[])
        .await;
    assert_eq!((job.counts.created, job.counts.failed), (3, 1), "{job:?}");
    let env = &env;
    let dept = |login: &'static str| async move {
        env.worker
            .store
            .find_by_login(&env.tenant, login)
            .await
            .unwrap()
            .unwrap()
            .profile
            .department_id
            .map(|d| d.to_string())
    };
    assert_eq!(dept("ann").await.as_deref(), Some("sales"), "by name");
    assert_eq!(
        dept("bob").await.as_deref(),
        Some("support"),
        "by id in any case"
    );
    assert_eq!(dept("dee").await, None);
    let report = env.report(&job).await;
    assert!(
        report[1]
            .last()
            .unwrap()
            .contains("department_id: department 'Nowhere' does not exist"),
        "{report:?}"
    );

    with_settings(
        env,
        roster_domain::tenant::TenantSettings {
            require_department: true,
            ..Default::default()
        },
    )
    .await;
    let job = env
        .drop_file(
            "nodept.csv",
            b"Login,First Name,Last Name,Email\neve,Eve,Li,eve@example.com\n".to_vec(),
            &[],
        )
        .await;
    assert_eq!(job.status, ImportStatus::Failed);
    assert!(
        job.error.as_deref().unwrap().contains("department_id"),
        "{job:?}"
    );
}

/// Imported users cost no member-counter write: the job's hold keeps departments from
/// being deleted while it writes, and the department index shows its users afterwards.
#[tokio::test]
async fn an_import_holds_the_departments_until_it_has_finished() {
    use roster_domain::store::DeleteUser;
    use roster_domain::use_cases::organisation::delete_department;
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 3,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let store = &env.worker.store;
    let sales = DepartmentId::parse("sales").unwrap();
    let empty = DepartmentId::parse("empty").unwrap();
    create_department(store, &env.tenant, &empty).await;
    let job = env.drop_file("held.csv", many_rows(9, 0), &[]).await;
    assert_eq!(job.status, ImportStatus::InProgress, "handed over: {job:?}");
    let refused = delete_department(store, &admin_of(&env.tenant), &empty)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AppError::Conflict { .. }),
        "409: {refused:?}"
    );
    assert!(
        refused.to_string().contains("an import is creating users"),
        "{refused}"
    );
    drain_continuations(&env).await;
    assert_eq!(env.job(&job.id).await.status, ImportStatus::Completed);
    assert_eq!(
        counted_members(&env.tenant, &sales).await,
        0,
        "no counter write per imported user"
    );
    // Finished, the job holds nothing: the empty department goes, the one with users stays.
    delete_department(store, &admin_of(&env.tenant), &empty)
        .await
        .unwrap();
    let still = delete_department(store, &admin_of(&env.tenant), &sales)
        .await
        .unwrap_err();
    assert!(still.to_string().contains("still has users"), "{still}");
    for login in env.logins().await {
        let user = store
            .find_by_login(&env.tenant, &login)
            .await
            .unwrap()
            .unwrap();
        store.delete_user(&user).await.unwrap();
    }
    assert_eq!(
        counted_members(&env.tenant, &sales).await,
        0,
        "never below zero"
    );
    delete_department(store, &admin_of(&env.tenant), &sales)
        .await
        .unwrap();
}

#[tokio::test]
async fn pick_lists_bind_imported_rows_too() {
    use roster_domain::pick_list::{PickListEntry, PickListKind};
    use roster_domain::store::PickListStore;
    let env = Env::new().await;
    let entry = PickListEntry {
        id: roster_domain::ids::PickEntryId::generate(),
        tenant_id: env.tenant.clone(),
        name: "Zurich".into(),
        created: roster_domain::user::Stamp::now(&Actor::new("admin-1")),
    };
    env.worker
        .store
        .create_entry(PickListKind::Location, &entry)
        .await
        .unwrap();
    let csv = "Login,First Name,Last Name,Email,Location\nann,Ann,Lee,ann@example.com,zurich\nbob,Bob,Ray,bob@example.com,Basel\n";
    let job = env
        .drop_file("sites.csv", csv.as_bytes().to_vec(), &[])
        .await;
    assert_eq!((job.counts.created, job.counts.failed), (1, 1), "{job:?}");
    let ann = env
        .worker
        .store
        .find_by_login(&env.tenant, "ann")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ann.profile.location.as_deref(), Some("Zurich"));
    let report = env.report(&job).await;
    assert!(report[1].last().unwrap().contains("location"), "{report:?}");
}

#[tokio::test]
async fn a_windows_1252_csv_gets_its_report_in_windows_1252() {
    let env = Env::new().await;
    let text = "Login;First Name;Last Name;Email\nzoe;Zoë;Müller;zoe@example.com\nbad login;Zoë;Müller;z2@example.com\n";
    let (latin, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    let job = env.drop_file("Müller.csv", latin.into_owned(), &[]).await;
    assert_eq!((job.counts.created, job.counts.failed), (1, 1), "{job:?}");
    let key = job.report_key.clone().unwrap();
    let bytes = env
        .worker
        .files
        .download(ObjectRef::latest(&key))
        .await
        .unwrap();
    assert!(
        bytes.windows(4).any(|w| w == b"Zo\xeb;"),
        "ë as one Windows-1252 byte"
    );
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
    let report = env.report(&job).await;
    assert_eq!(report[1][2], "Zoë");
    assert_eq!(report[0][1], "Login", "same delimiter: the header splits");
}

/// The scaled-down version of the million-row run (docs/benchmarks.md): 20,000 rows, a
/// hand-over after every 500-row chunk, every valid row stored once, counts and report exact.
#[tokio::test]
async fn twenty_thousand_rows_with_a_hand_over_per_chunk_are_stored_exactly_once() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 500,
        write_concurrency: 8,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let rows = 20_000;
    let job = env.drop_file("scale.csv", many_rows(rows, 100), &[]).await;
    assert_eq!(job.next_row, 500, "one chunk per invocation");
    let rounds = drain_continuations(&env).await;
    assert_eq!(rounds, rows / 500, "a hand-over after every chunk");
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::CompletedWithErrors);
    let failed = rows / 100;
    assert_eq!(
        (job.counts.total, job.counts.created, job.counts.failed),
        (rows as u64, (rows - failed) as u64, failed as u64),
        "{job:?}"
    );
    let logins = env.all_logins().await;
    let distinct: std::collections::BTreeSet<_> = logins.iter().collect();
    assert_eq!(logins.len(), rows - failed, "each valid row stored");
    assert_eq!(distinct.len(), logins.len(), "and stored once");
    let report = env.report(&job).await;
    assert_eq!(report.len() - 1, failed, "each failed row reported once");
}

/// How many parts the object was uploaded in (1: a single PUT). S3's ETag of a multipart
/// object ends in `-{parts}`.
async fn parts_of(env: &Env, key: &str) -> usize {
    let s3 = roster_aws::s3_client(&roster_aws::load_aws_config().await);
    let head = s3
        .head_object()
        .bucket(&env.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let etag = head.e_tag().unwrap().trim_matches('"').to_owned();
    etag.split_once('-').map_or(1, |(_, n)| n.parse().unwrap())
}

/// Reports are written as the kept rows are read, part by part (here 16 KiB parts, the
/// emulator's minimum in scripts/test): what holds for 3,000 failed rows holds in the same
/// memory for 1,000,000 (docs/benchmarks.md).
#[tokio::test]
async fn large_reports_are_streamed_to_the_bucket_in_parts() {
    let env = Env::new().await.with_config(ImportConfig {
        report_part_bytes: 16 * 1024,
        ..ImportConfig::default()
    });
    let rows = 3_000;
    let csv = env.drop_file("all-bad.csv", many_rows(rows, 1), &[]).await;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in String::from_utf8(many_rows(rows, 1))
        .unwrap()
        .lines()
        .enumerate()
    {
        for (c, cell) in line.split(',').enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    let xlsx = env
        .drop_file("all-bad.xlsx", book.save_to_buffer().unwrap(), &[])
        .await;
    for job in [&csv, &xlsx] {
        assert_eq!(job.status, ImportStatus::CompletedWithErrors, "{job:?}");
        assert_eq!(job.counts.failed, rows as u64);
        let report = env.report(job).await;
        assert_eq!(
            report.len(),
            rows + 1,
            "the header and each failed row once"
        );
        for (i, line) in report[1..].iter().enumerate() {
            assert_eq!(
                (line[0].as_str(), line[1].as_str()),
                ((i + 2).to_string().as_str(), format!("user{i:04}").as_str())
            );
        }
        let text = text_report(&env, job).await;
        assert_eq!(text.lines().count(), rows);
        assert!(text.lines().last().unwrap().starts_with(&format!(
            "Row {} (login \"user{:04}\")",
            rows + 1,
            rows - 1
        )));
        let report_parts = parts_of(&env, job.report_key.as_deref().unwrap()).await;
        let text_parts = parts_of(&env, job.text_report_key.as_deref().unwrap()).await;
        assert!(
            report_parts > 3 && text_parts > 3,
            "{report_parts} and {text_parts} parts"
        );
    }
    assert!(xlsx.report_key.as_deref().unwrap().ends_with(".xlsx"));
    assert!(xlsx.warnings.is_empty(), "{:?}", xlsx.warnings);
}

#[tokio::test]
async fn groups_and_extension_columns_join_groups_and_claim_extensions() {
    use roster_domain::directory::group::Group;
    use roster_domain::ids::GroupId;
    use roster_domain::store::GroupStore;
    let env = Env::new().await;
    let stamp = roster_domain::user::Stamp::now(&Actor::new("admin-1"));
    let night = Group {
        id: GroupId::generate(),
        tenant_id: env.tenant.clone(),
        name: "Night Shift".into(),
        description: None,
        external_id: None,
        created: stamp.clone(),
        updated: stamp,
    };
    env.worker.store.create_group(&night).await.unwrap();
    // Seed 002/004 words: a Groups cell by name (any case) or id, an Extension cell.
    let csv = format!(
        "Login,First Name,Last Name,Email,Groups,Extension\n\
         ann,Ann,Lee,ann@example.com,night shift,201\n\
         bob,Bob,Ray,bob@example.com,{};Night Shift,202;203\n\
         cyd,Cyd,Oh,cyd@example.com,Day Shift,204\n\
         dee,Dee,Ox,dee@example.com,,201\n\
         eve,Eve,Ng,eve@example.com,,1\n",
        night.id
    );
    let job = env.drop_file("groups.csv", csv.into_bytes(), &[]).await;
    // Dee's extension 201 is Ann's from an earlier row: an in-file duplicate, so the first row
    // keeps it whatever order the writes land in.
    assert_eq!(
        (
            job.counts.created,
            job.counts.failed,
            job.counts.conflicts,
            job.counts.skipped
        ),
        (2, 2, 0, 1),
        "{job:?}"
    );
    let bob = env
        .worker
        .store
        .find_by_login(&env.tenant, "bob")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bob.profile.groups.iter().collect::<Vec<_>>(), [&night.id]);
    let extensions: Vec<&str> = bob
        .profile
        .devices
        .iter()
        .map(|d| d.extension.as_str())
        .collect();
    assert_eq!(extensions, ["202", "203"]);
    let members = env
        .worker
        .store
        .list_members(&env.tenant, &night.id, None, 50)
        .await
        .unwrap();
    let mut logins: Vec<String> = members
        .items
        .iter()
        .map(|u| u.profile.login.to_string())
        .collect();
    logins.sort();
    assert_eq!(logins, ["ann", "bob"]);
    let report = env.report(&job).await;
    let line = |login: &str| {
        report
            .iter()
            .find(|l| l[1] == login)
            .map(|l| l.last().unwrap().clone())
            .unwrap_or_default()
    };
    assert!(line("cyd").contains("group_ids[0]"), "{report:?}");
    assert!(
        line("dee").contains("devices[0].extension: is a duplicate of row 2"),
        "{report:?}"
    );
    assert!(line("eve").contains("devices[0].extension"), "{report:?}");
}

// ---- Faults (issue 15): each test fails without its fix ----

type FaultyWorker =
    Worker<DynamoStore, FaultyFiles<S3ImportFiles>, SnsActivationPublisher, SqsContinuation>;

/// A worker like `env`'s (same table, bucket, queue and pacing) whose bucket fails as planned.
async fn faulty_worker(env: &Env, faults: Vec<Fault>) -> FaultyWorker {
    let config = roster_aws::load_aws_config().await;
    let real = Worker::from_environment(&config).unwrap();
    Worker {
        store: real.store,
        files: FaultyFiles {
            inner: real.files,
            plan: Plan::new(faults),
        },
        publisher: real.publisher,
        continuation: env.continuations.continuation(),
        config: env.worker.config.clone(),
        export: real.export,
    }
}

fn sample_event(name: &str) -> Value {
    let path = format!(
        "{}/../../events/import-worker/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

impl Env {
    /// Puts a dropped file and returns its S3 event and the job id it makes.
    async fn put_drop(
        &self,
        name: &str,
        bytes: Vec<u8>,
        metadata: &[(&str, &str)],
    ) -> (Value, ImportJobId) {
        let key = format!("imports/{}/{name}", self.tenant);
        let version = self.put(&key, bytes, metadata).await;
        let at = chrono_free_millis("2026-11-22T12:00:00.000Z");
        (
            self.s3_event(&key, &version),
            job_id_for(&self.bucket, &key, &version, at),
        )
    }

    async fn save(&self, job: &mut ImportJob) {
        let expected = job.version;
        job.version += 1;
        self.worker.store.save_job(expected, job).await.unwrap();
    }
}

#[tokio::test]
async fn a_failed_invocation_is_retried_and_resumes_from_its_checkpoint() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 4,
        write_concurrency: 2,
        ..ImportConfig::default()
    });
    // Every third row fails, so each chunk keeps failed rows; keeping the second chunk's fails.
    let worker = faulty_worker(&env, vec![Fault::on("put", "/parts/", 2)]).await;
    let (event, id) = env.put_drop("retry.csv", many_rows(20, 3), &[]).await;
    assert!(
        worker.handle(event.clone(), None).await.is_err(),
        "the invocation fails"
    );
    assert_eq!(worker.files.plan.fired().len(), 1);
    let job = env.job(&id).await;
    assert_eq!(job.status, ImportStatus::InProgress);
    assert_eq!(job.next_row, 4, "the first chunk was checkpointed");
    assert_eq!(job.interruptions, 1);
    assert!(
        job.lease.as_ref().is_some_and(|l| l.owner.is_empty()),
        "the failed invocation gave its lease back: {:?}",
        job.lease
    );
    // Lambda retries the same event: the job resumes instead of being taken for a duplicate.
    worker.handle(event, None).await.unwrap();
    let job = env.job(&id).await;
    assert_eq!(job.status, ImportStatus::CompletedWithErrors, "{job:?}");
    assert_eq!(
        (job.counts.created, job.counts.failed, job.counts.conflicts),
        (14, 6, 0)
    );
    assert_eq!(env.all_logins().await.len(), 14, "no user written twice");
    assert_eq!(
        env.report(&job).await.len(),
        7,
        "each failed row reported once"
    );
}

#[tokio::test]
async fn a_duplicated_continuation_does_not_run_the_job_twice_side_by_side() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 3,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let job = env.drop_file("twice.csv", many_rows(15, 0), &[]).await;
    let mut rounds = 0;
    loop {
        let bodies: Vec<Value> = env.continuations.drain().await;
        if bodies.is_empty() {
            break;
        }
        for body in bodies {
            let mut event = sample_event("sqs-continuation.json");
            event["Records"][0]["body"] = Value::from(body.to_string());
            // SQS delivers the message twice, to two invocations at once.
            let (a, b) = tokio::join!(
                env.worker.handle(event.clone(), None),
                env.worker.handle(event, None)
            );
            a.unwrap();
            b.unwrap();
        }
        rounds += 1;
        assert!(rounds < 50, "the job never finishes");
    }
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
    assert_eq!(job.counts.created, 15, "{:?}", job.counts);
    assert_eq!(env.all_logins().await.len(), 15);
}

#[tokio::test]
async fn the_sweep_resumes_a_job_whose_worker_died_and_expires_uploads_that_never_came() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 4,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let job = env.drop_file("died.csv", many_rows(12, 0), &[]).await;
    // The continuation is lost and the invocation died holding its lease.
    env.continuations.drain().await;
    let mut dead = env.job(&job.id).await;
    dead.lease = Some(Lease {
        owner: "a-dead-invocation".into(),
        until_ms: now_ms() - 1,
    });
    env.save(&mut dead).await;
    // An upload link that was never used, created long ago.
    let mut waiting = ImportJob::new(
        ImportJobId::generate(),
        env.tenant.clone(),
        "never.csv".into(),
        format!("imports/{}/never/never.csv", env.tenant),
        ImportMode::Partial,
        Uploader {
            actor: Actor::new("admin-1"),
            name: "Hannah Ruiz".into(),
            claimed_by: None,
        },
    );
    waiting.uploaded_at = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    env.worker.store.create_job(&waiting).await.unwrap();

    env.worker
        .handle(sample_event("scheduled-sweep.json"), None)
        .await
        .unwrap();
    let expired = env.job(&waiting.id).await;
    assert_eq!(expired.status, ImportStatus::Failed);
    assert!(expired.error.unwrap().contains("no file was uploaded"));
    drain_continuations(&env).await;
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
    assert_eq!((job.counts.created, job.interruptions), (12, 1));
    assert_eq!(env.all_logins().await.len(), 12);
}

/// Runs this test's continuations one round at a time until `done` holds for the job.
async fn run_until(env: &Env, id: &ImportJobId, done: impl Fn(&ImportJob) -> bool) {
    for _ in 0..50 {
        if done(&env.job(id).await) {
            return;
        }
        assert!(
            run_handed_over(env, &env.continuations).await > 0,
            "the job stopped early"
        );
    }
    panic!("the job never got there");
}

#[tokio::test]
async fn all_or_nothing_hands_over_and_a_cancel_in_the_write_pass_removes_what_it_wrote() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 3,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let strict = [("mode", "all_or_nothing")];
    let job = env.drop_file("strict.csv", many_rows(12, 0), &strict).await;
    assert_eq!(job.stage, Some(Stage::Checking), "the check hands over too");
    run_until(&env, &job.id, |j| {
        j.stage == Some(Stage::Writing) && j.counts.created > 0
    })
    .await;
    assert!(!env.logins().await.is_empty());
    cancel_import(&env.worker.store, &admin_of(&env.tenant), &job.id)
        .await
        .unwrap();
    drain_continuations(&env).await;
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::Cancelled, "{job:?}");
    assert_eq!(job.counts.created, 0);
    assert!(job.error.unwrap().contains("removed"));
    assert!(env.logins().await.is_empty(), "nothing of the job is left");

    // A clean file goes through every stage across invocations.
    let job = env.drop_file("clean.csv", many_rows(10, 0), &strict).await;
    drain_continuations(&env).await;
    let job = env.job(&job.id).await;
    assert_eq!(
        (job.status, job.counts.created),
        (ImportStatus::Completed, 10)
    );
    assert_eq!(env.logins().await.len(), 10);
}

#[tokio::test]
async fn all_or_nothing_texts_only_after_it_commits() {
    let tap = roster_tests::messaging::TopicTap::subscribe().await;
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 3,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let texted = |prefix: &str, n: usize| {
        let mut csv =
            String::from("login,first_name,last_name,department_id,mobile_phone,send_text\n");
        for i in 0..n {
            csv.push_str(&format!(
                "{prefix}{i},T,X,sales,+1201555{:04},yes\n",
                300 + i
            ));
        }
        csv.into_bytes()
    };
    let strict = [("mode", "all_or_nothing")];
    let job = env.drop_file("late.csv", texted("late", 9), &strict).await;
    run_until(&env, &job.id, |j| j.stage == Some(Stage::Writing)).await;
    // Someone takes row 9's login after the check: the write pass meets a conflict.
    let sales = DepartmentId::parse("sales").unwrap();
    let taken = roster_tests::person(&env.tenant, &sales, "late8", "Lou", "Ate", None);
    env.worker.store.create_user(&taken).await.unwrap();
    drain_continuations(&env).await;
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::Failed, "{job:?}");
    assert_eq!(job.counts.created, 0);
    assert_eq!(
        env.logins().await,
        vec!["late8"],
        "the job's users were removed"
    );
    let mine = |requests: Vec<Value>| {
        requests
            .into_iter()
            .filter(|m| m["tenant_id"] == env.tenant.as_str())
            .count()
    };
    assert_eq!(
        mine(tap.drain().await),
        0,
        "no text for users that were undone"
    );

    let job = env.drop_file("fine.csv", texted("fine", 7), &strict).await;
    drain_continuations(&env).await;
    assert_eq!(env.job(&job.id).await.status, ImportStatus::Completed);
    assert_eq!(mine(tap.drain().await), 7, "texts once committed");
}

#[tokio::test]
async fn poison_rows_fail_alone_and_stray_columns_make_a_short_warning_list() {
    let env = Env::new().await;
    let mut csv = String::from("login,first_name,last_name,department_id,email,allowed_ips,groups");
    for i in 0..3_000 {
        csv.push_str(&format!(",stray {i}"));
    }
    csv.push('\n');
    csv.push_str("fine.one,Fine,One,sales,fine@example.com,,\n");
    csv.push_str(&format!(
        "wide.one,Wide,One,sales,wide@example.com,,{}\n",
        ",x".repeat(5_000)
    ));
    csv.push_str(&format!(
        "{},Long,Login,sales,long@example.com,,\n",
        "l".repeat(3_000)
    ));
    // Lists long enough to push a user item past DynamoDB's 400 KB.
    let ips: Vec<String> = (0..20_000)
        .map(|i| format!("10.{}.{}.0/24", i / 256 % 256, i % 256))
        .collect();
    csv.push_str(&format!(
        "ips.one,Ips,One,sales,ips@example.com,{},\n",
        ips.join(";")
    ));
    let groups: Vec<String> = (0..20_000).map(|i| format!("Group {i}")).collect();
    csv.push_str(&format!(
        "groups.one,Groups,One,sales,groups@example.com,,{}\n",
        groups.join(";")
    ));
    let job = env
        .drop_file("poison.csv", csv.into_bytes(), &[("mode", "upsert")])
        .await;
    assert_eq!(job.status, ImportStatus::CompletedWithErrors, "{job:?}");
    assert_eq!((job.counts.created, job.counts.failed), (1, 4));
    assert_eq!(job.warnings.len(), 21);
    assert!(
        job.warnings[20].contains("and 2980 more"),
        "{:?}",
        job.warnings[20]
    );
    let report = text_report(&env, &job).await;
    assert!(
        report.contains("Row 3") && report.contains("at most 1000"),
        "{report}"
    );
    assert!(report.contains("Row 4"), "{report}");
    assert!(
        report.contains("Row 5") && report.contains("at most 50 address ranges"),
        "{report}"
    );
    assert!(
        report.contains("Row 6") && report.contains("at most 20 groups"),
        "{report}"
    );
}

#[tokio::test]
async fn failed_rows_are_kept_with_passwords_masked_and_dropped_once_reported() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 2,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    });
    let csv = "Login ID,First Name,Last Name,Email ID,Department,Password\n\
               pw.one,Pat,,one@example.com,sales,Plain9Secret!one\n\
               pw.two,Pat,Two,two@example.com,sales,Correct9horse!\n\
               pw.three,Pat,,three@example.com,sales,Plain9Secret!three\n";
    let job = env.drop_file("pw.csv", csv.as_bytes().to_vec(), &[]).await;
    let parts_prefix = format!("reports/{}/{}/parts/", env.tenant, job.id);
    let parts = env.worker.files.list(&parts_prefix).await.unwrap();
    assert_eq!(
        parts.len(),
        1,
        "the first chunk's failed row is kept: {job:?}"
    );
    let kept = env
        .worker
        .files
        .download(ObjectRef::latest(&parts[0]))
        .await
        .unwrap();
    let kept = String::from_utf8(kept).unwrap();
    assert!(
        kept.contains("pw.one") && !kept.contains("Plain9Secret"),
        "{kept}"
    );
    drain_continuations(&env).await;
    let job = env.job(&job.id).await;
    assert_eq!(job.counts.failed, 2);
    assert!(
        env.worker
            .files
            .list(&parts_prefix)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!text_report(&env, &job).await.contains("Plain9Secret"));
}

// ---- Fault sweep: every injection point, then the retries Lambda and SQS would make ----

type SweptWorker = Worker<
    FaultyStore<DynamoStore>,
    FaultyFiles<S3ImportFiles>,
    SnsActivationPublisher,
    FaultyContinuation<SqsContinuation>,
>;

/// A worker over `env`'s table, bucket and queue whose store, bucket or queue fails once,
/// at `fault`; leases short, so a worker that died is overtaken within the test.
async fn swept_worker(env: &Env, fault: Fault) -> SweptWorker {
    let config = roster_aws::load_aws_config().await;
    let real = Worker::from_environment(&config).unwrap();
    let plan = |on: &[&str]| Plan::new(on.contains(&fault.operation).then(|| fault.clone()));
    Worker {
        store: FaultyStore {
            inner: real.store,
            throttle: Throttle::unlimited(),
            plan: plan(&[
                "create_user",
                "create_user+",
                "update_user",
                "update_user+",
                "delete_user",
                "delete_user+",
                "save_job",
                "save_job+",
                "create_share",
            ]),
        },
        files: FaultyFiles {
            inner: real.files,
            plan: plan(&["head", "stream", "download", "put", "delete", "list"]),
        },
        publisher: real.publisher,
        continuation: FaultyContinuation {
            inner: env.continuations.continuation(),
            plan: plan(&["continue"]),
        },
        config: ImportConfig {
            lease: Duration::from_secs(2),
            ..env.worker.config.clone()
        },
        export: real.export,
    }
}

/// The faults that fired, on any port.
fn fired(worker: &SweptWorker) -> Vec<String> {
    let mut all = worker.store.plan.fired();
    all.extend(worker.files.plan.fired());
    all.extend(worker.continuation.plan.fired());
    all
}

/// Delivers `event` as Lambda does: a failed invocation is tried again, three tries in all.
async fn deliver(worker: &SweptWorker, event: impl std::borrow::Borrow<Value>) {
    let event = event.borrow();
    for _ in 0..3 {
        // Boxed: the faulty ports make the worker's future too deep for a test thread's stack.
        if Box::pin(worker.handle(event.clone(), None)).await.is_ok() {
            return;
        }
    }
}

/// The SQS event of a continuation message for `id` (what a hand-over or the sweep sends).
fn continuation_event(tenant: &TenantId, id: &ImportJobId) -> Value {
    message_event(&json!({"tenant_id": tenant.as_str(), "job_id": id.to_string()}))
}

/// The SQS event that delivers one continuation message's `body`.
fn message_event(body: &Value) -> Value {
    let mut event = sample_event("sqs-continuation.json");
    event["Records"][0]["body"] = Value::from(body.to_string());
    event
}

/// What the sweep sends for a job whose workers died: a continuation of the job and of
/// each of its shares.
fn sweep_events(tenant: &TenantId, job: &ImportJob) -> Vec<Value> {
    let mut events = vec![continuation_event(tenant, &job.id)];
    events.extend((0..job.shares).map(|k| {
        message_event(
            &json!({"tenant_id": tenant.as_str(), "job_id": job.id.to_string(), "share": k}),
        )
    }));
    events
}

/// Runs a dropped file to its end through every retry and redelivery; the final job.
async fn run_to_the_end(
    env: &Env,
    worker: &SweptWorker,
    event: Value,
    id: &ImportJobId,
) -> ImportJob {
    deliver(worker, &event).await;
    for _ in 0..40 {
        let bodies: Vec<Value> = env
            .continuations
            .drain()
            .await
            .into_iter()
            .filter(|b| b["tenant_id"] == env.tenant.as_str())
            .collect();
        // Side by side, as Lambda runs the messages of a split job.
        futures::future::join_all(bodies.iter().map(|b| deliver(worker, message_event(b)))).await;
        let job = env.job(id).await;
        if job.status.is_terminal() && !job.has_work() {
            return job;
        }
        if bodies.is_empty() {
            // Nothing in flight and not finished: what the sweep does once the lease is over.
            tokio::time::sleep(Duration::from_millis(2_200)).await;
            for event in sweep_events(&env.tenant, &job) {
                deliver(worker, event).await;
            }
        }
    }
    panic!("the job never finished: {:?}", env.job(id).await);
}

/// The injection points of one import: the nth call of each port operation it makes.
fn injection_points(operations: &[(&'static str, &[usize])]) -> Vec<Fault> {
    operations
        .iter()
        .flat_map(|(operation, nths)| nths.iter().map(|nth| Fault::on(operation, "", *nth)))
        .collect()
}

/// Runs a 12-row file (every fourth row bad) through each fault: one final job, each valid
/// user stored once, counts and report exact, and the job split into `shares`.
async fn each_fault_ends_in_one_final_job(points: Vec<Fault>, config: ImportConfig, shares: u32) {
    for fault in points {
        let env = Env::new().await.with_config(config.clone());
        let worker = swept_worker(&env, fault.clone()).await;
        let (event, id) = env.put_drop("faults.csv", many_rows(12, 4), &[]).await;
        let job = run_to_the_end(&env, &worker, event, &id).await;
        let what = format!("{} #{}", fault.operation, fault.nth);
        assert_eq!(
            job.status,
            ImportStatus::CompletedWithErrors,
            "{what}: {job:?}"
        );
        assert_eq!(job.shares, shares, "{what}");
        let logins = env.all_logins().await;
        let distinct: std::collections::BTreeSet<_> = logins.iter().collect();
        assert_eq!(
            (logins.len(), distinct.len()),
            (9, 9),
            "{what}: each valid row once"
        );
        assert_eq!(
            (job.counts.created, job.counts.failed, job.counts.conflicts),
            (9, 3, 0),
            "{what}: {job:?}"
        );
        assert_eq!(
            env.report(&job).await.len(),
            4,
            "{what}: each failed row reported once"
        );
    }
}

#[tokio::test]
async fn every_fault_of_a_partial_import_ends_in_one_final_job_with_each_user_once() {
    let points = injection_points(&[
        ("head", &[1, 2]),
        ("stream", &[1, 2, 3]),
        ("create_user", &[1, 4, 8]),
        ("create_user+", &[1, 4, 8]),
        ("save_job", &[1, 2, 3, 5, 7]),
        ("save_job+", &[1, 2, 3, 5, 7]),
        ("put", &[1, 2, 4]),
        ("continue", &[1, 2, 3]),
        ("list", &[1]),
        ("delete", &[1]),
    ]);
    let config = ImportConfig {
        chunk_rows: 3,
        write_concurrency: 2,
        hand_over_at: Some(Instant::now()),
        ..ImportConfig::default()
    };
    each_fault_ends_in_one_final_job(points, config, 0).await;
}

#[tokio::test]
async fn every_fault_of_an_all_or_nothing_import_ends_all_or_nothing() {
    let points = injection_points(&[
        ("stream", &[1, 3, 5]),
        ("create_user", &[1, 6]),
        ("create_user+", &[1, 6]),
        ("save_job", &[2, 4, 6, 9]),
        ("save_job+", &[2, 4, 6, 9]),
        ("put", &[1, 3]),
        ("continue", &[1, 3, 5]),
    ]);
    for fault in points {
        let env = Env::new().await.with_config(ImportConfig {
            chunk_rows: 3,
            write_concurrency: 2,
            hand_over_at: Some(Instant::now()),
            ..ImportConfig::default()
        });
        let worker = swept_worker(&env, fault.clone()).await;
        let (event, id) = env
            .put_drop(
                "aon-faults.csv",
                many_rows(9, 0),
                &[("mode", "all_or_nothing")],
            )
            .await;
        let job = run_to_the_end(&env, &worker, event, &id).await;
        let what = format!("{} #{}", fault.operation, fault.nth);
        assert_eq!(fired(&worker).len(), 1, "{what}: the fault fired once");
        assert_eq!(job.status, ImportStatus::Completed, "{what}: {job:?}");
        let logins = env.all_logins().await;
        let distinct: std::collections::BTreeSet<_> = logins.iter().collect();
        assert_eq!(
            (logins.len(), distinct.len()),
            (9, 9),
            "{what}: every row once"
        );
        assert_eq!(job.counts.created, 9, "{what}: {job:?}");
    }
}

// ---- Throttling (issue 17): a throttled job slows down, it never fails ----

type ThrottledWorker =
    Worker<FaultyStore<DynamoStore>, S3ImportFiles, SnsActivationPublisher, SqsContinuation>;

/// A worker like `env`'s whose user writes meet a table over its rate.
async fn throttled_worker(env: &Env, rule: ThrottleRule) -> ThrottledWorker {
    let config = roster_aws::load_aws_config().await;
    let real = Worker::from_environment(&config).unwrap();
    Worker {
        store: FaultyStore {
            inner: real.store,
            plan: Plan::default(),
            throttle: Throttle::new(rule),
        },
        files: real.files,
        publisher: real.publisher,
        continuation: env.continuations.continuation(),
        config: env.worker.config.clone(),
        export: real.export,
    }
}

#[tokio::test]
async fn a_throttled_import_slows_down_and_completes_in_the_same_invocation() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 20,
        write_concurrency: 8,
        ..ImportConfig::default()
    });
    let worker = throttled_worker(&env, ThrottleRule::PerSecond(25)).await;
    let (event, id) = env.put_drop("throttled.csv", many_rows(60, 0), &[]).await;
    Box::pin(worker.handle(event, None))
        .await
        .expect("throttling is not a failed invocation");
    assert!(
        worker.store.throttle.refused() > 0,
        "the table did throttle"
    );
    let job = env.job(&id).await;
    assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
    assert_eq!((job.counts.created, job.counts.failed), (60, 0));
    let logins = env.all_logins().await;
    assert_eq!(logins.len(), 60, "every row once");
    assert!(env.continuations.drain().await.is_empty(), "no hand-over");
}

#[tokio::test]
async fn throttled_past_the_deadline_hands_the_chunk_over_uncounted() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 10,
        write_concurrency: 4,
        ..ImportConfig::default()
    });
    let worker = throttled_worker(&env, ThrottleRule::For(Duration::from_millis(1500))).await;
    let (event, id) = env.put_drop("throttled.csv", many_rows(30, 7), &[]).await;
    let budget = || Some(Instant::now() + Duration::from_millis(500));
    Box::pin(worker.handle(event, budget())).await.unwrap();
    let job = env.job(&id).await;
    assert_eq!(job.status, ImportStatus::InProgress);
    assert_eq!(
        job.next_row, 0,
        "the throttled chunk is written again, not skipped"
    );
    assert_eq!(
        job.counts.created + job.counts.failed,
        0,
        "nor counted twice"
    );
    let mut invocations = 1;
    loop {
        let events = handed_over_events(&env, &env.continuations).await;
        if events.is_empty() {
            break;
        }
        for event in events {
            invocations += 1;
            Box::pin(worker.handle(event, budget())).await.unwrap();
        }
        assert!(invocations < 50, "the job never finishes");
    }
    let job = env.job(&id).await;
    assert_eq!(job.status, ImportStatus::CompletedWithErrors, "{job:?}");
    assert_eq!((job.counts.created, job.counts.failed), (26, 4));
    assert_eq!(env.all_logins().await.len(), 26, "no user written twice");
    assert_eq!(
        env.report(&job).await.len(),
        5,
        "each failed row reported once"
    );
}

#[tokio::test]
async fn writes_applied_twice_by_a_retry_count_once() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 5,
        write_concurrency: 2,
        ..ImportConfig::default()
    });
    let config = roster_aws::load_aws_config().await;
    let real = Worker::from_environment(&config).unwrap();
    let worker = Worker {
        store: FaultyStore {
            inner: real.store,
            plan: Plan::new([
                Fault::on("create_user+retried", "user0007", 1),
                Fault::on("save_job+retried", "", 3),
            ]),
            throttle: Throttle::unlimited(),
        },
        files: real.files,
        publisher: real.publisher,
        continuation: env.continuations.continuation(),
        config: env.worker.config.clone(),
        export: real.export,
    };
    let (event, id) = env.put_drop("retried.csv", many_rows(12, 0), &[]).await;
    Box::pin(worker.handle(event, None))
        .await
        .expect("a lost answer is not a failed invocation");
    assert_eq!(worker.store.plan.fired().len(), 2);
    let job = env.job(&id).await;
    assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
    assert_eq!((job.counts.created, job.counts.conflicts), (12, 0));
    assert_eq!(job.interruptions, 0, "the job was never given up");
    assert_eq!(env.all_logins().await.len(), 12, "no user written twice");
}

/// A file for a job split across workers: `many_rows(n, bad_every)` and, at its end, rows
/// that repeat a login and an e-mail of the file's first rows (duplicates the last share
/// can only find by reading the rows of the shares before it).
fn rows_with_late_duplicates(n: usize, bad_every: usize) -> Vec<u8> {
    let mut text = String::from_utf8(many_rows(n, bad_every)).unwrap();
    text.push_str("user0000,Again,Row,sales,again@example.com\n");
    text.push_str("someone.new,New,Row,sales,user1@example.com\n");
    text.push_str("user0002,Third,Row,sales,third@example.com\n");
    text.into_bytes()
}

/// Delivers every continuation waiting for this test's jobs twice and side by side, as a
/// queue that redelivers would; how many messages there were.
async fn run_messages_twice_side_by_side(env: &Env) -> usize {
    let events = handed_over_events(env, &env.continuations).await;
    let runs = events
        .iter()
        .chain(events.iter())
        .map(|event| env.worker.handle(event.clone(), None));
    for outcome in futures::future::join_all(runs).await {
        outcome.expect("the worker succeeds");
    }
    events.len()
}

fn split_config(workers: u32, rows_per_worker: u64, chunk_rows: usize) -> ImportConfig {
    ImportConfig {
        chunk_rows,
        write_concurrency: 4,
        hand_over_at: Some(Instant::now()),
        workers_per_job: workers,
        rows_per_worker,
        ..ImportConfig::default()
    }
}

#[tokio::test]
async fn a_job_split_across_four_workers_stores_each_row_once_and_finds_duplicates_across_them() {
    let env = Env::new().await.with_config(split_config(4, 100, 50));
    let rows = 800;
    let job = env
        .drop_file("split.csv", rows_with_late_duplicates(rows, 50), &[])
        .await;
    assert_eq!(
        (job.status, job.shares),
        (ImportStatus::InProgress, 4),
        "{job:?}"
    );
    let admin = admin_of(&env.tenant);
    let mut messages = 0;
    let mut seen_running = false;
    for _ in 0..100 {
        let delivered = run_messages_twice_side_by_side(&env).await;
        if delivered == 0 {
            break;
        }
        messages += delivered;
        let tracked = track_import(&env.worker.store, &admin, &job.id)
            .await
            .unwrap();
        if tracked.status == ImportStatus::InProgress && tracked.counts.created > 0 {
            assert!((1..100).contains(&tracked.progress), "{tracked:?}");
            seen_running = true;
        }
    }
    assert!(
        seen_running,
        "the job's progress shows its shares' rows while they run"
    );
    assert!(
        messages > 16,
        "each share handed over after each chunk: {messages}"
    );
    let job = env.job(&job.id).await;
    let failed = rows / 50;
    assert_eq!(job.status, ImportStatus::CompletedWithErrors, "{job:?}");
    assert_eq!(
        job.counts,
        ImportCounts {
            total: rows as u64 + 3,
            created: (rows - failed) as u64,
            updated: 0,
            skipped: 3,
            failed: failed as u64,
            conflicts: 0
        }
    );
    let logins = env.all_logins().await;
    let distinct: std::collections::BTreeSet<_> = logins.iter().collect();
    assert_eq!(
        (logins.len(), distinct.len()),
        (rows - failed, rows - failed)
    );
    assert!(
        !distinct.contains(&"someone.new".to_owned()),
        "an in-file duplicate e-mail"
    );
    let report = env.report(&job).await;
    assert_eq!(
        report.len() - 1,
        failed + 3,
        "each failed row reported once"
    );
    // The first column is the file's row number (the header is row 1).
    let numbers: Vec<u64> = report[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "in file order: {numbers:?}"
    );
    assert_eq!(&numbers[failed..], [802, 803, 804], "the late duplicates");
    for share in env.shares(&job).await {
        assert_eq!(share.status, ImportStatus::Completed, "{share:?}");
        assert!(!share.has_work(), "off the sweep's list");
    }
}

impl Env {
    /// The share records of a split job.
    async fn shares(&self, job: &ImportJob) -> Vec<ImportJob> {
        let mut shares = Vec::new();
        for k in 0..job.shares {
            let share = self.worker.store.get_share(&self.tenant, &job.id, k).await;
            shares.push(share.unwrap().expect("the share exists"));
        }
        shares
    }
}

/// A sheet as Excel on Windows saves one: CRLF line ends, notes over several lines, a blank
/// line, names with accents, invalid rows, and repeats of earlier rows spread through the
/// file, so that many repeat a row of another share. UTF-8 with a byte-order mark ("CSV
/// UTF-8"), or Windows-1252 ("CSV").
fn excel_like_rows(n: usize, utf8: bool) -> Vec<u8> {
    let mut text: Vec<u8> = if utf8 {
        b"\xef\xbb\xbf".to_vec()
    } else {
        vec![]
    };
    text.extend_from_slice(b"login,first_name,last_name,department_id,email,notes\r\n");
    let zoe: &[u8] = if utf8 { "Zoë".as_bytes() } else { b"Zo\xeb" };
    for i in 0..n {
        let login = if i % 37 == 36 && i >= 150 {
            format!("user{:04}", i - 150) // the login of a row in an earlier share
        } else {
            format!("user{i:04}")
        };
        let email = if i % 53 == 52 && i >= 260 {
            format!("user{}@example.com", i - 260)
        } else {
            format!("user{i}@example.com")
        };
        let last = if i % 41 == 40 { "" } else { "Row" };
        let notes = if i % 29 == 0 {
            "\"line one\r\nline \"\"two\"\"\""
        } else {
            "plain"
        };
        text.extend_from_slice(login.as_bytes());
        text.push(b',');
        text.extend_from_slice(zoe);
        text.extend_from_slice(format!(",{last},sales,{email},{notes}\r\n").as_bytes());
        if i == 333 {
            text.extend_from_slice(b"\r\n");
        }
    }
    text
}

/// Splits the same file across four workers and runs it as one: the same users, counts and
/// report, row for row. A UTF-8 file's shares start at their own rows' bytes; a
/// Windows-1252 one's read from the top.
#[tokio::test]
async fn a_split_job_ends_exactly_as_the_same_file_run_as_one_job() {
    for utf8 in [true, false] {
        let rows = 500;
        let file = excel_like_rows(rows, utf8);
        let split = Env::new().await.with_config(split_config(4, 100, 40));
        let whole = Env::new().await.with_config(split_config(1, 100, 40));
        let split_job = split.drop_file("excel.csv", file.clone(), &[]).await;
        let whole_job = whole.drop_file("excel.csv", file.clone(), &[]).await;
        assert_eq!((split_job.shares, whole_job.shares), (4, 0));
        for (k, share) in split.shares(&split_job).await.iter().enumerate() {
            let plan = share.share.and_then(|s| s.plan).expect("a planned share");
            match plan.start {
                Some(start) => {
                    assert!(utf8 && k > 0, "share {k}: {plan:?}");
                    let (before, after) = file.split_at(start.byte as usize);
                    assert!(before.ends_with(b"\r\n"), "share {k} starts on a line");
                    assert!(after.starts_with(b"user"), "share {k} starts at a row");
                }
                None => assert!(!utf8 || k == 0, "share {k}: {plan:?}"),
            }
        }
        assert!(
            split.shares(&split_job).await.iter().any(|s| s
                .share
                .and_then(|s| s.plan)
                .is_some_and(|p| p.duplicates > 0)),
            "rows repeating another share's rows"
        );
        drain_continuations(&split).await;
        drain_continuations(&whole).await;
        let (split_job, whole_job) = (
            split.job(&split_job.id).await,
            whole.job(&whole_job.id).await,
        );
        assert_eq!(
            split_job.status,
            ImportStatus::CompletedWithErrors,
            "{split_job:?}"
        );
        assert_eq!(split_job.counts, whole_job.counts);
        assert!(split_job.counts.skipped >= 10, "{:?}", split_job.counts);
        assert_eq!(split.logins().await, whole.logins().await);
        let report = split.report(&split_job).await;
        assert_eq!(report, whole.report(&whole_job).await, "utf8: {utf8}");
        assert_eq!(
            report.len() as u64 - 1,
            split_job.counts.failed + split_job.counts.skipped
        );
    }
}

#[tokio::test]
async fn small_files_and_all_or_nothing_jobs_are_not_split() {
    let env = Env::new().await.with_config(split_config(4, 100, 50));
    let small = env.drop_file("small.csv", many_rows(150, 0), &[]).await;
    assert_eq!(small.shares, 0, "150 rows do not make two shares of 100");
    let env = Env::new().await.with_config(split_config(4, 100, 50));
    let whole = env
        .drop_file(
            "whole.csv",
            many_rows(400, 0),
            &[("mode", "all_or_nothing")],
        )
        .await;
    assert_eq!(
        whole.shares, 0,
        "all_or_nothing checks the whole file before it writes"
    );
    drain_continuations(&env).await;
    assert_eq!(env.job(&whole.id).await.status, ImportStatus::Completed);
    assert_eq!(env.logins().await.len(), 400);
}

#[tokio::test]
async fn a_cancel_stops_every_share_at_its_next_checkpoint() {
    let env = Env::new().await.with_config(split_config(3, 30, 10));
    let job = env
        .drop_file("split-cancel.csv", many_rows(90, 0), &[])
        .await;
    assert_eq!(job.shares, 3);
    run_messages_twice_side_by_side(&env).await; // one chunk of each share
    let before = env.logins().await.len();
    assert!(
        (30..=60).contains(&before),
        "a chunk or two of each share: {before}"
    );
    cancel_import(&env.worker.store, &admin_of(&env.tenant), &job.id)
        .await
        .unwrap();
    drain_continuations(&env).await;
    let job = env.job(&job.id).await;
    assert_eq!(job.status, ImportStatus::Cancelled, "{job:?}");
    assert_eq!(
        env.logins().await.len(),
        before,
        "no share wrote after the cancel"
    );
    let shares = env.shares(&job).await;
    assert_eq!(shares.len(), 3);
    for share in shares {
        assert_eq!(share.status, ImportStatus::Cancelled, "{share:?}");
    }
}

#[tokio::test]
async fn every_fault_of_a_split_import_ends_in_one_final_job_with_each_user_once() {
    let points = injection_points(&[
        ("create_share", &[1, 2, 3]),
        ("save_job", &[1, 2, 3, 4, 6, 9]),
        ("save_job+", &[2, 4, 9]),
        ("create_user", &[1, 5]),
        ("create_user+", &[2]),
        ("continue", &[1, 2, 3, 4, 6]),
        ("stream", &[2, 3]),
        ("list", &[1]),
    ]);
    each_fault_ends_in_one_final_job(points, split_config(3, 4, 2), 3).await;
}

#[tokio::test]
async fn a_cancel_after_a_crash_mid_chunk_removes_the_users_the_crash_left_unrecorded() {
    let env = Env::new().await.with_config(ImportConfig {
        chunk_rows: 4,
        write_concurrency: 1,
        ..ImportConfig::default()
    });
    // The fourth user write fails: three users of the write pass's first chunk are stored,
    // and the invocation dies before it records their ids.
    let worker = swept_worker(&env, Fault::on("create_user", "", 4)).await;
    let strict = [("mode", "all_or_nothing")];
    let (event, id) = env
        .put_drop("crash-cancel.csv", many_rows(8, 0), &strict)
        .await;
    assert!(Box::pin(worker.handle(event, None)).await.is_err());
    assert_eq!(env.logins().await.len(), 3, "written, not recorded");
    cancel_import(&env.worker.store, &admin_of(&env.tenant), &id)
        .await
        .unwrap();
    deliver(&worker, continuation_event(&env.tenant, &id)).await;
    let job = env.job(&id).await;
    assert_eq!(job.status, ImportStatus::Cancelled);
    assert!(!job.has_work(), "{job:?}");
    assert!(
        env.logins().await.is_empty(),
        "every user of the job is gone"
    );
}
