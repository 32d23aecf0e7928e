//! In-process latency of the users API handler against the emulator, and the DynamoDB calls
//! each route makes (counted by an SDK interceptor on the real client).
//!
//! Run: scripts/with-emulator cargo run --release -p users-api --example bench

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use roster_domain::ids::DepartmentId;
use roster_tests::apigw::{Call, claims};
use roster_tests::calls::{CallCounter, per_request};
use roster_tests::{create_department, fresh_tenant};
use serde_json::json;
use users_api::{App, handle};

/// Builds the request of round `i`.
type MakeCall<'a> = Box<dyn Fn(usize) -> Call + 'a>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let config = roster_aws::load_aws_config().await;
    let counter = CallCounter::default();
    let app = App {
        store: counter.store(&config),
        ..App::from_environment(&config).unwrap()
    };

    let tenant = fresh_tenant();
    create_department(&app.store, &tenant, &DepartmentId::parse("sales").unwrap()).await;
    let admin = claims("bench", tenant.as_str(), &["admin"], &[]);
    let rounds = 200;
    let mut ids = Vec::new();
    let mut report = Vec::new();

    let mut measure = |name: &str, times: Vec<Duration>, calls: BTreeMap<String, u32>| {
        let mut sorted = times.clone();
        sorted.sort();
        report.push(format!(
            "| {name} | {:.2} ms | {:.2} ms | {} |",
            percentile(&sorted, 0.5).as_secs_f64() * 1e3,
            percentile(&sorted, 0.99).as_secs_f64() * 1e3,
            per_request(&calls, times.len())
        ));
    };

    counter.take();
    let mut times = Vec::new();
    for i in 0..rounds {
        let call = Call::new("POST", "/v1/users").as_caller(admin.clone()).json(json!({
            "login": format!("bench{i}"), "first_name": "Bench", "last_name": format!("User{i}"),
            "email": format!("bench{i}@example.com"), "mobile_phone": "+12015550123", "department_id": "sales",
            "in_address_book": i % 2 == 0,
        }));
        let request = call.request();
        let start = Instant::now();
        let response = handle(&app, request).await;
        times.push(start.elapsed());
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = match response.body() {
            lambda_http::Body::Text(t) => serde_json::from_str(t).unwrap(),
            _ => panic!("no body"),
        };
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    measure("POST /v1/users", times, counter.take());

    let group = handle(
        &app,
        Call::new("POST", "/v1/groups")
            .as_caller(admin.clone())
            .json(json!({"id": "bench", "name": "Bench"}))
            .request(),
    )
    .await;
    assert_eq!(group.status(), 201);
    let mut times = Vec::new();
    for id in &ids {
        let request = Call::new("PUT", &format!("/v1/groups/bench/members/{id}"))
            .as_caller(admin.clone())
            .request();
        let start = Instant::now();
        let response = handle(&app, request).await;
        times.push(start.elapsed());
        assert_eq!(response.status(), 204);
    }
    measure(
        "PUT /v1/groups/{id}/members/{user_id}",
        times,
        counter.take(),
    );

    let routes: Vec<(&str, MakeCall)> = vec![
        (
            "GET /v1/users/{id}",
            Box::new(|i| {
                Call::new("GET", &format!("/v1/users/{}", ids[i])).as_caller(admin.clone())
            }),
        ),
        (
            "PATCH /v1/users/{id}",
            Box::new(|i| {
                Call::new("PATCH", &format!("/v1/users/{}", ids[i]))
                    .as_caller(admin.clone())
                    .header("If-Match", "2")
                    .json(json!({"nickname": "B"}))
            }),
        ),
        (
            "GET /v1/groups/{id}/members?limit=50",
            Box::new(|_| {
                Call::new("GET", "/v1/groups/bench/members")
                    .as_caller(admin.clone())
                    .query("limit", "50")
            }),
        ),
        (
            "GET /v1/users/{id}/contacts?limit=50",
            Box::new(|i| {
                Call::new("GET", &format!("/v1/users/{}/contacts", ids[i]))
                    .as_caller(admin.clone())
                    .query("limit", "50")
            }),
        ),
        (
            "GET /v1/address-book?limit=50",
            Box::new(|_| {
                Call::new("GET", "/v1/address-book")
                    .as_caller(admin.clone())
                    .query("limit", "50")
            }),
        ),
        (
            "GET /v1/address-book?q=user1&limit=50",
            Box::new(|_| {
                Call::new("GET", "/v1/address-book")
                    .as_caller(admin.clone())
                    .query("q", "user1")
                    .query("limit", "50")
            }),
        ),
        (
            "GET /v1/users?limit=50",
            Box::new(|_| {
                Call::new("GET", "/v1/users")
                    .as_caller(admin.clone())
                    .query("limit", "50")
            }),
        ),
        (
            "GET /v1/users?q=user1&limit=50",
            Box::new(|_| {
                Call::new("GET", "/v1/users")
                    .as_caller(admin.clone())
                    .query("q", "user1")
                    .query("limit", "50")
            }),
        ),
    ];
    for (name, make) in &routes {
        let mut times = Vec::new();
        for i in 0..rounds {
            let request = make(i).request();
            let start = Instant::now();
            let response = handle(&app, request).await;
            times.push(start.elapsed());
            assert_eq!(response.status(), 200, "{name}");
        }
        measure(name, times, counter.take());
    }
    println!("| route | median | p99 | DynamoDB calls per request |");
    println!("|---|---|---|---|");
    for line in report {
        println!("{line}");
    }
}
