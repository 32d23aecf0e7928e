//! End-to-end import rows/s against the emulator, next to a minimal loop that issues the same
//! DynamoDB writes (one create-user transaction per row) with the same concurrency, same run.
//!
//! Run: scripts/with-emulator cargo run --release -p import-worker --example throughput -- 1000

use std::time::Instant;

use futures::StreamExt;
use import_worker::Worker;
use roster_domain::ids::DepartmentId;
use roster_domain::store::{CreateUser, ImportJobStore};
use roster_domain::validation::UserDraft;
use roster_tests::{create_department, drop_import, fresh_tenant, user_from};

#[tokio::main]
async fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let config = roster_aws::load_aws_config().await;
    let worker = Worker::from_environment(&config).unwrap();
    let concurrency = worker.config.write_concurrency;
    let bucket = std::env::var("ROSTER_IMPORT_BUCKET").unwrap();

    // The minimal loop first (the importer then runs on the larger table, which only slows it):
    // the same transactions, same concurrency, no reading or validation.
    let dept = DepartmentId::parse("sales").unwrap();
    let other = fresh_tenant();
    create_department(&worker.store, &other, &dept).await;
    let users: Vec<_> = (0..rows)
        .map(|i| {
            user_from(
                &other,
                &dept,
                UserDraft {
                    login: Some(format!("imp{i}")),
                    first_name: Some("Ima".into()),
                    last_name: Some("Porter".into()),
                    email: Some(format!("imp{i}@example.com")),
                    mobile_phone: Some(format!("+1201555{:04}", i % 10_000)),
                    ..UserDraft::default()
                },
            )
        })
        .collect();
    let start = Instant::now();
    futures::stream::iter(users.iter())
        .map(|u| worker.store.create_user(u))
        .buffer_unordered(concurrency)
        .for_each(|r| async move { r.unwrap() })
        .await;
    let loop_secs = start.elapsed().as_secs_f64();
    // The importer: a CSV dropped into the bucket, run by the worker.
    let tenant = fresh_tenant();
    create_department(&worker.store, &tenant, &dept).await;
    let mut csv = String::from("login,first_name,last_name,department_id,email,mobile_phone\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "imp{i},Ima,Porter,sales,imp{i}@example.com,+1201555{:04}\n",
            i % 10_000
        ));
    }
    let (event, id) = drop_import(&config, &bucket, &tenant, "bench.csv", csv.into_bytes()).await;
    let start = Instant::now();
    worker.handle(event, None).await.unwrap();
    let import_secs = start.elapsed().as_secs_f64();
    let job = worker.store.get_job(&tenant, &id).await.unwrap().unwrap();
    assert_eq!(job.counts.created as usize, rows, "{job:?}");

    println!("| rows | importer rows/s | minimal write loop rows/s | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| {rows} | {:.0} | {:.0} | {:.0}% |",
        rows as f64 / import_secs,
        rows as f64 / loop_secs,
        100.0 * loop_secs / import_secs
    );
}
