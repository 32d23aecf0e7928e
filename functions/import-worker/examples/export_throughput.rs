//! An export job end to end against the emulator: N users, `GET /v1/users/export` on the users
//! API with its real budget and part size, the rest handed over to the worker through the
//! continuation queue; rows/s, the parts and hand-overs, and the process's peak memory.
//!
//! Run: scripts/with-emulator cargo run --release -p import-worker --example export_throughput -- 20000

use std::time::Instant;

use futures::StreamExt;
use import_worker::Worker;
use roster_aws::QueueMessage;
use roster_domain::ids::DepartmentId;
use roster_domain::store::CreateUser;
use roster_domain::use_cases::export_job::{ExportJobStore, ExportStatus};
use roster_domain::validation::UserDraft;
use roster_tests::apigw::{Call, claims};
use roster_tests::messaging::ContinuationTap;
use roster_tests::{create_department, fresh_tenant, user_from};
use serde_json::Value;

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let users: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let config = roster_aws::load_aws_config().await;
    let tap = ContinuationTap::new().await;
    let mut api = users_api::AwsApp::from_environment(&config).unwrap();
    api.continuation = tap.continuation();
    let mut worker = Worker::from_environment(&config).unwrap();
    worker.continuation = tap.continuation();

    let tenant = fresh_tenant();
    let dept = DepartmentId::parse("sales").unwrap();
    create_department(&worker.store, &tenant, &dept).await;
    // Made as they are written, so that the peak below is the export's.
    let store = &worker.store;
    let (tenant_ref, dept_ref) = (&tenant, &dept);
    futures::stream::iter(0..users)
        .map(|i| async move {
            let user = user_from(
                tenant_ref,
                dept_ref,
                UserDraft {
                    login: Some(format!("exp{i:07}")),
                    first_name: Some("Ex".into()),
                    last_name: Some("Porter".into()),
                    email: Some(format!("exp{i}@example.com")),
                    mobile_phone: Some(format!("+1201555{:04}", i % 10_000)),
                    ..UserDraft::default()
                },
            );
            store.create_user(&user).await
        })
        .buffer_unordered(8)
        .for_each(|r| async move { r.unwrap() })
        .await;
    let before = peak_mb();

    let start = Instant::now();
    let admin = claims("admin-1", tenant.as_str(), &["admin"], &[]);
    let response = users_api::handle(
        &api,
        Call::new("GET", "/v1/users/export")
            .as_caller(admin)
            .request(),
    )
    .await;
    let api_secs = start.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    let body = match response.into_body() {
        lambda_http::Body::Text(t) => t,
        _ => String::new(),
    };
    let mut hand_overs = 0;
    let id = match status {
        200 if body.starts_with('{') => None,
        200 => {
            println!(
                "{users} users: answered inline ({} bytes) in {api_secs:.1} s",
                body.len()
            );
            return;
        }
        202 => serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_str()
            .map(str::to_owned),
        other => panic!("{other}: {body}"),
    };
    let sample = format!(
        "{}/../../events/import-worker/sqs-continuation.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let template: Value = serde_json::from_str(&std::fs::read_to_string(sample).unwrap()).unwrap();
    loop {
        let bodies = tap.drain().await;
        if bodies.is_empty() {
            break;
        }
        for message in bodies {
            assert!(matches!(
                serde_json::from_value::<QueueMessage>(message.clone()),
                Ok(QueueMessage::Export(_))
            ));
            hand_overs += 1;
            let mut event = template.clone();
            event["Records"][0]["body"] = Value::from(message.to_string());
            worker.handle(event, None).await.unwrap();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let (rows, parts) = match id {
        Some(id) => {
            let id = roster_domain::ids::ExportJobId::parse(&id).unwrap();
            let job = worker
                .store
                .get_export(&tenant, &id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(job.status, ExportStatus::Completed, "{job:?}");
            (job.rows, job.parts.len())
        }
        None => (users as u64, 0),
    };
    assert_eq!(rows, users as u64);
    println!(
        "{users} users: {rows} rows in {secs:.1} s ({:.0} rows/s; the API's request {api_secs:.1} s), {parts} parts, {hand_overs} hand-overs, peak RSS {:.0} MB (before the export {before:.0} MB)",
        rows as f64 / secs,
        peak_mb()
    );
}
