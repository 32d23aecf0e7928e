//! Export jobs end to end against the emulator: `GET /v1/users/export` on the users API starts
//! the job, hands it over through the continuation queue, the worker writes the rest of the
//! CSV to S3 in parts, and the status route hands out the link.
//!
//! The emulator runs with S3's 5 MiB minimum part scaled down (scripts/test), so that a few
//! hundred users cross several parts.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use import_worker::Worker;
use roster_aws::{DynamoStore, S3ImportFiles, SnsActivationPublisher, SqsContinuation};
use roster_domain::ids::{DepartmentId, ExportJobId, TenantId};
use roster_domain::import::files::{ImportFiles, ObjectRef};
use roster_domain::store::CreateUser;
use roster_domain::use_cases::export_job::{ExportConfig, ExportJob, ExportJobStore, ExportStatus};
use roster_tests::apigw::{Call, claims};
use roster_tests::faults::{Fault, FaultyFiles, Plan};
use roster_tests::messaging::ContinuationTap;
use roster_tests::{create_department, fresh_tenant, person};
use serde_json::Value;

/// Well below a listing page (200 users, ~80 KB of CSV): every page becomes a part.
const PART_BYTES: usize = 16 * 1024;

fn small_parts() -> ExportConfig {
    ExportConfig {
        part_bytes: PART_BYTES,
        min_part_bytes: PART_BYTES,
        inline_bytes: 0,
    }
}

struct Env {
    tenant: TenantId,
    tap: ContinuationTap,
    api: users_api::AwsApp,
    worker: Worker<DynamoStore, S3ImportFiles, SnsActivationPublisher, SqsContinuation>,
    /// Logins in `sales`, then in `support`.
    sales: BTreeSet<String>,
    support: BTreeSet<String>,
}

impl Env {
    /// A tenant with `sales` users in sales and `support` in support; an API that hands every
    /// export over after its first part, and a worker that does the same each run.
    async fn new(sales: usize, support: usize) -> Self {
        let config = roster_aws::load_aws_config().await;
        let tap = ContinuationTap::new().await;
        let mut api =
            users_api::AwsApp::from_environment(&config).expect("run through scripts/test");
        api.continuation = tap.continuation();
        api.export = small_parts();
        api.export_budget = Duration::ZERO;
        let mut worker = Worker::from_environment(&config).unwrap();
        worker.continuation = tap.continuation();
        worker.export = small_parts();
        let tenant = fresh_tenant();
        let mut env = Self {
            tenant,
            tap,
            api,
            worker,
            sales: BTreeSet::new(),
            support: BTreeSet::new(),
        };
        env.sales = env.add_users("sales", sales).await;
        env.support = env.add_users("support", support).await;
        env
    }

    async fn add_users(&self, department: &str, count: usize) -> BTreeSet<String> {
        let dept = DepartmentId::parse(department).unwrap();
        create_department(&self.worker.store, &self.tenant, &dept).await;
        let logins: Vec<String> = (0..count).map(|i| format!("{department}.{i:04}")).collect();
        futures::stream::iter(&logins)
            .for_each_concurrent(8, |login| {
                let user = person(
                    &self.tenant,
                    &dept,
                    login,
                    "Ann",
                    login,
                    Some(&format!("{login}@example.com")),
                );
                async move { self.worker.store.create_user(&user).await.unwrap() }
            })
            .await;
        logins.into_iter().collect()
    }

    async fn call(&self, call: Call) -> (u16, lambda_http::http::HeaderMap, String) {
        let response = users_api::handle(&self.api, call.request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.into_body() {
            lambda_http::Body::Text(t) => t,
            other => panic!("unexpected body {other:?}"),
        };
        (status, headers, body)
    }

    async fn get_json(&self, path: &str, caller: Value) -> (u16, Value) {
        let (status, _, body) = self.call(Call::new("GET", path).as_caller(caller)).await;
        (status, serde_json::from_str(&body).unwrap())
    }

    /// The continuations waiting for this tenant's exports, as SQS events.
    async fn queued(&self) -> Vec<Value> {
        let sample = format!(
            "{}/../../events/import-worker/sqs-continuation.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let template: Value =
            serde_json::from_str(&std::fs::read_to_string(sample).unwrap()).unwrap();
        self.tap
            .drain()
            .await
            .into_iter()
            .filter(|body| body["tenant_id"] == self.tenant.as_str())
            .map(|body| {
                assert!(body["export_id"].is_string(), "{body}");
                let mut event = template.clone();
                event["Records"][0]["body"] = Value::from(body.to_string());
                event
            })
            .collect()
    }

    /// A worker whose export bucket fails as `faults` plan, handing over to this test's queue.
    async fn faulty_worker(
        &self,
        faults: Vec<Fault>,
    ) -> Worker<DynamoStore, FaultyFiles<S3ImportFiles>, SnsActivationPublisher, SqsContinuation>
    {
        let config = roster_aws::load_aws_config().await;
        let real = Worker::from_environment(&config).unwrap();
        Worker {
            files: FaultyFiles {
                inner: real.files,
                plan: Plan::new(faults),
            },
            store: real.store,
            publisher: real.publisher,
            continuation: self.tap.continuation(),
            config: real.config,
            export: small_parts(),
        }
    }

    /// Runs the worker on every continuation until none is left; each run hands over after
    /// its first part. The events it ran, in order.
    async fn drain<F, C>(
        &self,
        worker: &Worker<DynamoStore, F, SnsActivationPublisher, C>,
    ) -> Vec<Value>
    where
        F: ImportFiles + roster_domain::use_cases::export_job::ExportFiles,
        C: roster_domain::import::files::ContinueJob
            + roster_domain::use_cases::export_job::ContinueExport,
    {
        let mut ran = Vec::new();
        loop {
            let events = self.queued().await;
            if events.is_empty() {
                return ran;
            }
            for event in events {
                // Lambda delivers a failed message again (the queue's redrive).
                for attempt in 1..=3 {
                    match worker.handle(event.clone(), Some(Instant::now())).await {
                        Ok(()) => break,
                        Err(e) if attempt < 3 => eprintln!("delivery {attempt} failed: {e}"),
                        Err(e) => panic!("{e}"),
                    }
                }
                ran.push(event);
            }
        }
    }

    /// The export's CSV as stored: its header and its logins, in order.
    async fn csv(&self, id: &ExportJobId) -> (String, Vec<String>) {
        let key = roster_domain::object_keys::export(&self.tenant, &id.to_string());
        read_csv(
            self.worker
                .files
                .download(ObjectRef::latest(&key))
                .await
                .unwrap(),
        )
    }

    async fn job(&self, id: &ExportJobId) -> ExportJob {
        self.worker
            .store
            .get_export(&self.tenant, id)
            .await
            .unwrap()
            .unwrap()
    }

    fn admin(&self) -> Value {
        claims("admin-1", self.tenant.as_str(), &["admin"], &[])
    }

    /// Starts an export as `caller`: the 202, its job id and Location.
    async fn start(&self, caller: Value) -> (Value, ExportJobId) {
        let (status, headers, body) = self
            .call(Call::new("GET", "/v1/users/export").as_caller(caller))
            .await;
        assert_eq!(status, 202, "{body}");
        let job: Value = serde_json::from_str(&body).unwrap();
        let id = ExportJobId::parse(job["id"].as_str().unwrap()).unwrap();
        assert_eq!(
            headers["location"],
            format!("/v1/users/exports/{id}").as_str()
        );
        assert_eq!(
            job["status_url"],
            format!("/v1/users/exports/{id}").as_str()
        );
        (job, id)
    }
}

/// A CSV's header and the logins of its rows, in order.
fn read_csv(bytes: Vec<u8>) -> (String, Vec<String>) {
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .collect::<Vec<_>>()
        .join(",");
    let logins = reader.records().map(|r| r.unwrap()[1].to_owned()).collect();
    (header, logins)
}

fn assert_once(logins: &[String], expected: &BTreeSet<String>) {
    let unique: BTreeSet<String> = logins.iter().cloned().collect();
    assert_eq!(logins.len(), unique.len(), "a user was written twice");
    assert_eq!(&unique, expected);
}

#[tokio::test]
async fn a_large_export_goes_on_in_the_worker_and_ends_with_a_link() {
    let env = Env::new(430, 20).await;
    let (job, id) = env.start(env.admin()).await;
    assert_eq!(
        (job["status"].as_str(), job["rows"].as_u64()),
        (Some("running"), Some(200))
    );
    assert!(job["url"].is_null(), "{job}");
    let status_path = format!("/v1/users/exports/{id}");
    let (status, running) = env.get_json(&status_path, env.admin()).await;
    assert_eq!((status, running["status"].as_str()), (200, Some("running")));

    let runs = env.drain(&env.worker).await;
    assert_eq!(runs.len(), 2, "users 200-399, then the last 50");
    let (status, done) = env.get_json(&status_path, env.admin()).await;
    assert_eq!(status, 200);
    assert_eq!(
        (done["status"].as_str(), done["rows"].as_u64()),
        (Some("completed"), Some(450)),
        "{done}"
    );
    assert!(done["finished_at"].is_string(), "{done}");
    let url = done["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Signature"), "{url}");
    let (http_status, bytes) = roster_tests::http_get(url);
    assert_eq!(http_status, 200);

    let (header, logins) = env.csv(&id).await;
    assert!(header.starts_with("id,login,first_name"), "{header}");
    let everyone: BTreeSet<String> = env.sales.union(&env.support).cloned().collect();
    assert_once(&logins, &everyone);
    assert_eq!(read_csv(bytes).1, logins, "the link serves the stored CSV");

    // A redelivered continuation finds the export ended and changes nothing.
    let stored = env.job(&id).await;
    env.worker
        .handle(runs[1].clone(), Some(Instant::now()))
        .await
        .unwrap();
    let after = env.job(&id).await;
    assert_eq!((after.version, after.rows), (stored.version, 450));
    assert_eq!(env.csv(&id).await.1, logins);
    assert!(
        env.queued().await.is_empty(),
        "nothing more was handed over"
    );
}

#[tokio::test]
async fn an_export_job_keeps_the_reach_of_the_manager_who_asked() {
    let env = Env::new(230, 10).await;
    let manager = claims("manager-1", env.tenant.as_str(), &["manager"], &["sales"]);
    let (_, id) = env.start(manager.clone()).await;
    env.drain(&env.worker).await;
    let (status, done) = env
        .get_json(&format!("/v1/users/exports/{id}"), manager)
        .await;
    assert_eq!((status, done["rows"].as_u64()), (200, Some(230)), "{done}");
    assert_once(&env.csv(&id).await.1, &env.sales);

    // Another manager of the tenant, or anyone of another tenant, does not see the job.
    let path = format!("/v1/users/exports/{id}");
    let other = claims("manager-2", env.tenant.as_str(), &["manager"], &["sales"]);
    let elsewhere = claims("admin-1", fresh_tenant().as_str(), &["admin"], &[]);
    for caller in [other, elsewhere] {
        let (status, body) = env.get_json(&path, caller).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{body}"
        );
    }
    // The tenant's admin does.
    assert_eq!(env.get_json(&path, env.admin()).await.0, 200);
    let (status, body) = env
        .get_json("/v1/users/exports/not-a-ulid", env.admin())
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_worker_that_fails_between_parts_resumes_from_its_checkpoint() {
    let env = Env::new(620, 0).await;
    let (_, id) = env.start(env.admin()).await;
    // The second part the worker sends fails, as a dropped connection would.
    let faulty = env
        .faulty_worker(vec![Fault::on("upload_part", "exports/", 2)])
        .await;
    env.drain(&faulty).await;
    assert_eq!(faulty.files.plan.fired().len(), 1, "the fault fired");
    let job = env.job(&id).await;
    assert_eq!((job.rows, job.parts.len()), (620, 4), "{job:?}");
    assert_once(&env.csv(&id).await.1, &env.sales);
}

#[tokio::test]
async fn an_export_whose_last_delivery_fails_says_so_instead_of_running_on() {
    let env = Env::new(230, 0).await;
    let (_, id) = env.start(env.admin()).await;
    let faulty = env
        .faulty_worker(vec![
            Fault::on("upload_part", "exports/", 1),
            Fault::on("upload_part", "exports/", 2),
        ])
        .await;
    let mut event = env.queued().await.remove(0);
    // An earlier delivery fails and is retried: the export is still running.
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = Value::from("1");
    assert!(
        faulty
            .handle(event.clone(), Some(Instant::now()))
            .await
            .is_err()
    );
    assert_eq!(env.job(&id).await.status, ExportStatus::Running);
    // The queue's last delivery fails too: nothing would finish it, so it ends as failed.
    let last = import_worker::CONTINUATION_RECEIVES.to_string();
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = Value::from(last);
    faulty
        .handle(event, Some(Instant::now()))
        .await
        .expect("handled: not sent to the dead letters");
    assert_eq!(faulty.files.plan.fired().len(), 2);
    let (status, body) = env
        .get_json(&format!("/v1/users/exports/{id}"), env.admin())
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("failed")),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap().contains("request it again"),
        "{body}"
    );
}

#[test]
fn the_worker_knows_the_continuation_queues_last_delivery() {
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../infra/template.yaml"
    ))
    .unwrap();
    let receives: Vec<&str> = template
        .lines()
        .filter_map(|l| l.trim().strip_prefix("maxReceiveCount:"))
        .map(str::trim)
        .collect();
    assert_eq!(
        receives,
        [import_worker::CONTINUATION_RECEIVES.to_string()],
        "one redrive policy, on the continuation queue"
    );
}
