//! What throttling does to an import: the same file imported against a table that admits at
//! most L user writes per second (refused writes come back as `StoreError::Throttled`, as
//! they do once the adapter's own retries are spent), for several L, side by side in one run.
//! A throttled job must slow to about L rows/s and finish; it must never fail.
//!
//! Run: scripts/with-emulator cargo run --release -p import-worker --example throttled -- 2000

use std::time::Instant;

use import_worker::Worker;
use roster_domain::ids::DepartmentId;
use roster_domain::import::job::ImportStatus;
use roster_domain::store::ImportJobStore;
use roster_tests::faults::{FaultyStore, Plan, Throttle, ThrottleRule};
use roster_tests::{create_department, drop_import, fresh_tenant};

#[tokio::main]
async fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let config = roster_aws::load_aws_config().await;
    let bucket = std::env::var("ROSTER_IMPORT_BUCKET").unwrap();
    let dept = DepartmentId::parse("sales").unwrap();

    println!("| table admits (user writes/s) | rows/s | of the limit | writes refused | status |");
    println!("|---|---|---|---|---|");
    for limit in [None, Some(200), Some(100), Some(50)] {
        let real = Worker::from_environment(&config).unwrap();
        let worker = Worker {
            store: FaultyStore {
                inner: real.store,
                plan: Plan::default(),
                throttle: Throttle::new(
                    limit.map_or(ThrottleRule::Unlimited, ThrottleRule::PerSecond),
                ),
            },
            files: real.files,
            publisher: real.publisher,
            continuation: real.continuation,
            config: real.config,
            export: real.export,
        };
        let tenant = fresh_tenant();
        create_department(&worker.store.inner, &tenant, &dept).await;
        let mut csv = String::from("login,first_name,last_name,department_id,email\n");
        for i in 0..rows {
            csv.push_str(&format!("thr{i},Ima,Porter,sales,thr{i}@example.com\n"));
        }
        let (event, id) =
            drop_import(&config, &bucket, &tenant, "throttled.csv", csv.into_bytes()).await;
        let start = Instant::now();
        Box::pin(worker.handle(event, None)).await.unwrap();
        let secs = start.elapsed().as_secs_f64();
        let job = worker.store.get_job(&tenant, &id).await.unwrap().unwrap();
        assert_eq!(job.status, ImportStatus::Completed, "{job:?}");
        assert_eq!(job.counts.created as usize, rows, "{job:?}");
        let rate = rows as f64 / secs;
        println!(
            "| {} | {rate:.0} | {} | {} | {} |",
            limit.map_or("unlimited".into(), |l| l.to_string()),
            limit.map_or("–".into(), |l| format!("{:.0}%", 100.0 * rate / l as f64)),
            worker.store.throttle.refused(),
            job.status.as_str(),
        );
    }
}
