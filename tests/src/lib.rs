//! Helpers for tests that run against the local AWS emulator started by `scripts/test`.
//!
//! Each test works in a fresh tenant, so tests share one table without seeing each other.
//! Without the emulator's environment these helpers panic: a storage test that cannot reach
//! storage must fail, not pass quietly.

use std::collections::BTreeSet;
use std::io::{Read, Write};

use aws_sdk_dynamodb::Client;
use roster_aws::DynamoStore;
use roster_domain::department::Department;
use roster_domain::ids::{Actor, DepartmentId, TenantId};
use roster_domain::store::DepartmentStore;
use roster_domain::tenant::TenantSettings;
use roster_domain::user::{Stamp, User};
use roster_domain::validation::{UserDraft, validate_user};
use tokio::sync::OnceCell;

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the integration tests through scripts/test, which starts the emulator")
    })
}

static CLIENT: OnceCell<Client> = OnceCell::const_new();

/// One DynamoDB client per test binary, pointed at the emulator.
pub async fn dynamodb() -> Client {
    CLIENT
        .get_or_init(|| async {
            required_env("AWS_ENDPOINT_URL");
            Client::new(&roster_aws::load_aws_config().await)
        })
        .await
        .clone()
}

pub async fn store() -> DynamoStore {
    DynamoStore::new(dynamodb().await, required_env("ROSTER_TABLE"))
}

pub fn table_name() -> String {
    required_env("ROSTER_TABLE")
}

/// A tenant no other test uses.
pub fn fresh_tenant() -> TenantId {
    TenantId::parse(&format!(
        "t{}",
        ulid::Ulid::new().to_string().to_lowercase()
    ))
    .unwrap()
}

/// A verified admin of `tenant`, as the API's claims make one.
pub fn admin_of(tenant: &TenantId) -> roster_domain::caller::Caller {
    roster_domain::caller::Caller {
        actor: Actor::new("admin-1"),
        name: "Hannah Ruiz".into(),
        tenant: tenant.clone(),
        roles: [roster_domain::caller::CallerRole::Admin].into(),
        departments: Default::default(),
    }
}

pub fn admin() -> Actor {
    Actor::new("admin-sub")
}

/// A fresh tenant with one department, `sales`.
pub async fn tenant_with_department(store: &DynamoStore) -> (TenantId, DepartmentId) {
    let tenant = fresh_tenant();
    let dept = DepartmentId::parse("sales").unwrap();
    create_department(store, &tenant, &dept).await;
    (tenant, dept)
}

pub async fn create_department(store: &DynamoStore, tenant: &TenantId, id: &DepartmentId) {
    let stamp = Stamp::now(&admin());
    store
        .create_department(&Department {
            id: id.clone(),
            tenant_id: tenant.clone(),
            name: format!("Department {id}"),
            created: stamp.clone(),
            updated: stamp,
        })
        .await
        .expect("create department");
}

/// An item as stored in the table (a strongly consistent read), if it exists.
pub async fn stored_item(
    (pk, sk): (String, String),
) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    use aws_sdk_dynamodb::types::AttributeValue::S;
    dynamodb()
        .await
        .get_item()
        .table_name(table_name())
        .key("pk", S(pk))
        .key("sk", S(sk))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// The sum of a department's member counters, read as stored.
pub async fn counted_members(tenant: &TenantId, dept: &DepartmentId) -> i64 {
    let mut members = 0;
    for counter in 0..roster_aws::keys::MEMBER_COUNTERS {
        let item = stored_item(roster_aws::keys::department_members(tenant, dept, counter))
            .await
            .expect("every counter exists");
        members += item["members"].as_n().unwrap().parse::<i64>().unwrap();
    }
    members
}

/// A user validated the way every entry point validates, not built by hand.
pub fn user_from(tenant: &TenantId, dept: &DepartmentId, draft: UserDraft) -> User {
    let draft = UserDraft {
        department_id: Some(dept.to_string()),
        ..draft
    };
    let known = BTreeSet::from([dept.clone()]);
    let valid = validate_user(&draft, &TenantSettings::default(), &known)
        .unwrap_or_else(|e| panic!("test user is invalid: {e}"));
    User::new(tenant.clone(), valid.profile, &admin())
}

/// A minimal valid user with this login, names and e-mail.
pub fn person(
    tenant: &TenantId,
    dept: &DepartmentId,
    login: &str,
    first: &str,
    last: &str,
    email: Option<&str>,
) -> User {
    user_from(
        tenant,
        dept,
        UserDraft {
            login: Some(login.into()),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            email: email.map(Into::into),
            mobile_phone: email.is_none().then(|| "+12015550123".into()),
            ..UserDraft::default()
        },
    )
}

/// One plain HTTP/1.1 request to a pre-signed URL, as a browser would send it: the status
/// and the body.
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let rest = url
        .strip_prefix("http://")
        .expect("the emulator speaks http");
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    write!(
        stream,
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |p| p + 4);
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response[split..].to_vec())
}

/// PUTs `body` to a pre-signed upload URL; the status.
pub fn http_put(url: &str, body: &[u8]) -> u16 {
    http("PUT", url, &[], body).0
}

/// PUTs `body` with a `Content-Type`, as a browser uploading a file does; the status.
pub fn http_put_typed(url: &str, content_type: &str, body: &[u8]) -> u16 {
    http("PUT", url, &[("Content-Type", content_type)], body).0
}

/// GETs a pre-signed download URL; the status and the body.
pub fn http_get(url: &str) -> (u16, Vec<u8>) {
    http("GET", url, &[], b"")
}

/// Puts `body` under `imports/{tenant}/{name}` and returns the S3 event of that drop (as
/// version `v1`) and the id of the job it makes: what a benchmark hands the worker.
pub async fn drop_import(
    config: &aws_config::SdkConfig,
    bucket: &str,
    tenant: &TenantId,
    name: &str,
    body: Vec<u8>,
) -> (serde_json::Value, roster_domain::ids::ImportJobId) {
    let key = format!("imports/{tenant}/{name}");
    roster_aws::s3_client(config)
        .put_object()
        .bucket(bucket)
        .key(&key)
        .body(body.into())
        .send()
        .await
        .unwrap();
    let event = serde_json::json!({"Records": [{"eventSource": "aws:s3", "eventTime": "2026-11-22T12:00:00.000Z",
        "eventName": "ObjectCreated:Put", "eventVersion": "2.1", "awsRegion": "us-east-1",
        "userIdentity": {"principalId": "bench"}, "requestParameters": {}, "responseElements": {},
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "ownerIdentity": {}, "arn": ""},
               "object": {"key": key, "size": 1, "versionId": "v1", "sequencer": "1"}}}]});
    let id = roster_domain::import::intake::job_id_for(bucket, &key, "v1", 1_795_348_800_000);
    (event, id)
}

pub mod apigw;
pub mod calls;
pub mod emulator;
pub mod faults;
pub mod messaging;
