//! The DynamoDB calls each SCIM operation makes, counted by an interceptor on the real SDK
//! client while the real handler serves API Gateway events against the emulator (20 requests
//! per operation in a fresh tenant), and the authorizer's per-request read.
//!
//! Run: scripts/with-emulator cargo run -p users-api --example scim_calls

use lambda_http::Body;
use roster_domain::scim::token::{authenticate, create_token};
use roster_tests::apigw::{Call, claims};
use roster_tests::calls::{CallCounter, per_request};
use roster_tests::fresh_tenant;
use serde_json::{Value, json};
use users_api::{App, handle};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ROUNDS: usize = 20;

async fn send(app: &users_api::AwsApp, call: Call, status: u16) -> Value {
    let response = handle(app, call.header("host", "api.roster.test").request()).await;
    let got = response.status().as_u16();
    let body = match response.into_body() {
        Body::Text(t) => t,
        _ => String::new(),
    };
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
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
    let admin = claims("bench", tenant.as_str(), &["admin"], &[]);
    let scim = |method: &str, path: &str| {
        Call::new(method, &format!("/scim/v2{path}")).as_caller(admin.clone())
    };
    let mut rows = vec![];
    let mut row = |name: &str, requests: usize| {
        rows.push(format!(
            "| {name} | {} |",
            per_request(&counter.take(), requests)
        ));
    };
    // The department exists (named by every user below); its first user created it.
    let first = json!({"userName": "seed.user", "name": {"givenName": "Seed", "familyName": "User"},
                       "emails": [{"value": "seed@example.com"}], ENTERPRISE: {"department": "Sales"}});
    send(&app, scim("POST", "/Users").json(first), 201).await;
    row("POST /Users naming a new department (created)", 1);

    let mut ids = vec![];
    for i in 0..ROUNDS {
        let body = json!({"userName": format!("scim.user{i}"), "name": {"givenName": "Sam", "familyName": format!("User{i}")},
                          "emails": [{"value": format!("scim{i}@example.com")}], "externalId": format!("x{i}"),
                          ENTERPRISE: {"department": "Sales"}});
        ids.push(
            send(&app, scim("POST", "/Users").json(body), 201).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    row("POST /Users (existing department)", ROUNDS);
    for i in 0..ROUNDS {
        let call =
            scim("GET", "/Users").query("filter", &format!("userName%20eq%20%22SCIM.USER{i}%22"));
        send(&app, call, 200).await;
    }
    row("GET /Users?filter=userName eq", ROUNDS);
    for id in &ids {
        send(&app, scim("GET", &format!("/Users/{id}")), 200).await;
    }
    row("GET /Users/{id}", ROUNDS);
    for (i, id) in ids.iter().enumerate() {
        let body = json!({"userName": format!("scim.user{i}"), "name": {"givenName": "Sam", "familyName": format!("Put{i}")},
                          "emails": [{"value": format!("scim{i}@example.com")}], "active": true,
                          ENTERPRISE: {"department": "Sales"}});
        send(&app, scim("PUT", &format!("/Users/{id}")).json(body), 200).await;
    }
    row("PUT /Users/{id}", ROUNDS);
    for id in &ids {
        let ops = json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
        send(&app, scim("PATCH", &format!("/Users/{id}")).json(ops), 200).await;
    }
    row("PATCH /Users/{id} (deactivate)", ROUNDS);
    let group = send(
        &app,
        scim("POST", "/Groups").json(json!({"displayName": "Crew"})),
        201,
    )
    .await;
    let group = group["id"].as_str().unwrap().to_owned();
    row("POST /Groups (no members)", 1);
    let members: Vec<Value> = ids[..10].iter().map(|id| json!({"value": id})).collect();
    let ops = json!({"Operations": [{"op": "add", "path": "members", "value": members}]});
    send(
        &app,
        scim("PATCH", &format!("/Groups/{group}")).json(ops),
        204,
    )
    .await;
    row("PATCH /Groups/{id} adding 10 members", 1);
    send(&app, scim("GET", &format!("/Groups/{group}")), 200).await;
    row("GET /Groups/{id} (10 members)", 1);
    for id in &ids {
        send(&app, scim("DELETE", &format!("/Users/{id}")), 204).await;
    }
    row("DELETE /Users/{id}", ROUNDS);

    let caller = roster_domain::caller::Caller {
        actor: roster_domain::ids::Actor::new("bench"),
        name: "bench".into(),
        tenant: tenant.clone(),
        roles: [roster_domain::caller::CallerRole::Admin].into(),
        departments: Default::default(),
    };
    let (_, text) = create_token(&app.store, &caller, "bench").await.unwrap();
    counter.take();
    for _ in 0..ROUNDS {
        authenticate(&app.store, &text).await.unwrap();
    }
    row("the authorizer, per request", ROUNDS);

    println!("| SCIM operation | DynamoDB calls per request |");
    println!("|---|---|");
    for line in rows {
        println!("{line}");
    }
}
