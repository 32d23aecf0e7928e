//! What splitting a job across workers gives: the same file imported with K = 1, 2 and 4
//! workers per job, side by side in one run, each share's continuation run in a task of its
//! own (as Lambda runs each message in its own invocation). Every run must store each row once.
//!
//! Run: scripts/with-emulator cargo run --release -p import-worker --example fan_out -- 20000

use std::sync::Arc;
use std::time::Instant;

use import_worker::Worker;
use roster_domain::ids::DepartmentId;
use roster_domain::import::job::ImportStatus;
use roster_domain::import::runner::ImportConfig;
use roster_domain::store::ImportJobStore;
use roster_tests::messaging::ContinuationTap;
use roster_tests::{create_department, drop_import, fresh_tenant};
use serde_json::json;

#[tokio::main]
async fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let config = roster_aws::load_aws_config().await;
    let bucket = std::env::var("ROSTER_IMPORT_BUCKET").unwrap();
    let dept = DepartmentId::parse("sales").unwrap();

    println!("| workers per job | shares | rows/s | × one worker | status |");
    println!("|---|---|---|---|---|");
    let mut single = None;
    for workers in [1, 2, 4] {
        let tap = ContinuationTap::new().await;
        let mut worker = Worker::from_environment(&config).unwrap();
        worker.continuation = tap.continuation();
        worker.config = ImportConfig {
            workers_per_job: workers,
            rows_per_worker: (rows / 4) as u64,
            ..ImportConfig::default()
        };
        let worker = Arc::new(worker);
        let tenant = fresh_tenant();
        create_department(&worker.store, &tenant, &dept).await;
        let mut csv = String::from("login,first_name,last_name,department_id,email\n");
        for i in 0..rows {
            csv.push_str(&format!("fan{i},Ima,Porter,sales,fan{i}@example.com\n"));
        }
        let (event, id) =
            drop_import(&config, &bucket, &tenant, "fan-out.csv", csv.into_bytes()).await;
        let start = Instant::now();
        Box::pin(worker.handle(event, None)).await.unwrap();
        loop {
            let messages = tap.drain().await;
            if messages.is_empty() {
                break;
            }
            let runs: Vec<_> = messages
                .into_iter()
                .map(|body| {
                    let worker = Arc::clone(&worker);
                    let event =
                        json!({"Records": [{"eventSource": "aws:sqs", "body": body.to_string()}]});
                    tokio::spawn(async move { Box::pin(worker.handle(event, None)).await })
                })
                .collect();
            for run in runs {
                run.await.unwrap().unwrap();
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let job = worker.store.get_job(&tenant, &id).await.unwrap().unwrap();
        assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
        assert_eq!(job.counts.created as usize, rows, "{job:?}");
        let rate = rows as f64 / secs;
        let base = *single.get_or_insert(rate);
        println!(
            "| {workers} | {} | {rate:.0} | {:.2} | {} |",
            job.shares.max(1),
            rate / base,
            job.status.as_str(),
        );
    }
}
