//! The imports API through its handler, with real claims, against the emulator.

use imports_api::{App, handle};
use lambda_http::Body;
use roster_aws::{DynamoStore, S3ImportFiles, SqsContinuation};
use roster_domain::ids::{Actor, ImportJobId, TenantId};
use roster_domain::import::files::{ImportFiles, ObjectRef};
use roster_domain::import::job::{ImportJob, ImportMode, ImportStatus, Uploader};
use roster_domain::store::ImportJobStore;
use roster_tests::apigw::{Call, claims, request_from_event};
use roster_tests::{fresh_tenant, http_put};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

async fn app() -> App<DynamoStore, S3ImportFiles, SqsContinuation> {
    App::from_environment(&roster_aws::load_aws_config().await).expect("run through scripts/test")
}

async fn call(app: &App<DynamoStore, S3ImportFiles, SqsContinuation>, c: Call) -> (u16, Value) {
    let response = handle(app, c.request()).await;
    let status = response.status().as_u16();
    let body = match response.into_body() {
        Body::Text(t) => serde_json::from_str(&t).unwrap_or(Value::String(t)),
        Body::Binary(b) => Value::from(b.len()),
        _ => Value::Null,
    };
    (status, body)
}

fn admin(t: &TenantId) -> Value {
    claims("admin-1", t.as_str(), &["admin"], &[])
}

async fn job(
    app: &App<DynamoStore, S3ImportFiles, SqsContinuation>,
    tenant: &TenantId,
    name: &str,
    at: OffsetDateTime,
    by: &str,
    status: ImportStatus,
) -> ImportJob {
    let id = ImportJobId::generate();
    let mut job = ImportJob::new(
        id,
        tenant.clone(),
        name.into(),
        format!("imports/{tenant}/{id}/{name}"),
        ImportMode::Partial,
        Uploader {
            actor: Actor::new(by),
            name: by.into(),
            claimed_by: None,
        },
    );
    job.status = status;
    job.uploaded_at = at;
    app.store.create_job(&job).await.unwrap();
    job
}

const EVENTS: &[(&str, u16)] = &[
    ("imports-create.json", 201),
    ("imports-list.json", 200),
    ("imports-get.json", 200),
    ("imports-cancel.json", 200),
    ("imports-report.json", 404),
    ("imports-report-txt.json", 404),
    ("imports-proceed.json", 409),
    ("imports-template-csv.json", 200),
    ("imports-template-xlsx.json", 200),
    ("imports-template-xls.json", 200),
];

#[tokio::test]
async fn every_sample_event_gets_its_status() {
    let app = app().await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/imports-api");
    let files: std::collections::BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, EVENTS.iter().map(|(f, _)| f.to_string()).collect());
    for (file, status) in EVENTS {
        let tenant = fresh_tenant();
        let queued = job(
            &app,
            &tenant,
            "users.csv",
            OffsetDateTime::now_utc(),
            "admin-1",
            ImportStatus::Queued,
        )
        .await;
        let text = std::fs::read_to_string(format!("{dir}/{file}"))
            .unwrap()
            .replace("\"acme\"", &format!("\"{tenant}\""))
            .replace("01JD00000000000000000J0B01", &queued.id.to_string());
        let response = handle(&app, request_from_event(&text)).await;
        assert_eq!(response.status().as_u16(), *status, "{file}");
    }
}

#[tokio::test]
async fn a_created_job_gets_a_working_upload_link() {
    let app = app().await;
    let tenant = fresh_tenant();
    let (status, body) = call(
        &app,
        Call::new("POST", "/v1/imports")
            .as_caller(admin(&tenant))
            .json(json!({"file_name": "team.csv", "mode": "upsert"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["job"]["status"], "uploading");
    assert_eq!(body["job"]["mode"], "upsert");
    let id = body["job"]["id"].as_str().unwrap();
    let url = body["upload_url"].as_str().unwrap();
    assert!(
        url.contains(&format!("imports/{tenant}/{id}/team.csv"))
            && url.contains("X-Amz-Expires=900"),
        "{url}"
    );
    assert_eq!(http_put(url, b"login,first_name\n"), 200);
    let key = format!("imports/{tenant}/{id}/team.csv");
    assert!(
        app.files
            .head(ObjectRef::latest(&key))
            .await
            .unwrap()
            .is_some(),
        "the link uploaded the file"
    );

    for (body, field) in [
        (json!({"file_name": "x.pdf"}), "file_name"),
        (json!({"file_name": "x.csv", "mode": "yolo"}), "mode"),
    ] {
        let (status, reply) = call(
            &app,
            Call::new("POST", "/v1/imports")
                .as_caller(admin(&tenant))
                .json(body),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(reply["error"]["fields"][0]["field"], field);
    }
    let analyst = claims("a", tenant.as_str(), &["analyst"], &[]);
    let (status, _) = call(&app, Call::new("POST", "/v1/imports").as_caller(analyst)).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn jobs_are_listed_in_a_range_and_sorted() {
    let app = app().await;
    let tenant = fresh_tenant();
    let now = OffsetDateTime::now_utc();
    job(
        &app,
        &tenant,
        "b.csv",
        now - Duration::days(1),
        "zed",
        ImportStatus::Completed,
    )
    .await;
    job(
        &app,
        &tenant,
        "a.csv",
        now - Duration::days(3),
        "amy",
        ImportStatus::Failed,
    )
    .await;
    job(
        &app,
        &tenant,
        "c.csv",
        now - Duration::days(20),
        "bob",
        ImportStatus::Completed,
    )
    .await;
    let names = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["file_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |q: &[(&str, &str)]| {
        let mut c = Call::new("GET", "/v1/imports").as_caller(claims(
            "x",
            tenant.as_str(),
            &["analyst"],
            &[],
        ));
        for (k, v) in q {
            c = c.query(k, v);
        }
        c
    };
    let (_, body) = call(&app, list(&[])).await;
    assert_eq!(
        names(&body),
        vec!["b.csv", "a.csv"],
        "default: the last 16 days, newest first"
    );
    let (_, body) = call(&app, list(&[("sort", "file_name"), ("order", "asc")])).await;
    assert_eq!(names(&body), vec!["a.csv", "b.csv"]);
    let (_, body) = call(&app, list(&[("sort", "uploaded_by"), ("order", "desc")])).await;
    assert_eq!(names(&body), vec!["b.csv", "a.csv"]);
    let (_, body) = call(&app, list(&[("sort", "status")])).await;
    assert_eq!(
        names(&body),
        vec!["b.csv", "a.csv"],
        "completed before failed"
    );
    let old_from = (now - Duration::days(25)).date().to_string();
    let old_to = (now - Duration::days(15)).date().to_string();
    let (_, body) = call(&app, list(&[("from", &old_from), ("to", &old_to)])).await;
    assert_eq!(names(&body), vec!["c.csv"]);
    for q in [
        vec![("from", "2026-01-01"), ("to", "2026-01-17")],
        vec![("from", "2026-01-10"), ("to", "2026-01-01")],
        vec![("from", "soon")],
        vec![("sort", "size")],
        vec![("order", "sideways")],
    ] {
        let (status, body) = call(&app, list(&q)).await;
        assert_eq!(status, 400, "{q:?}: {body}");
    }
    let (_, body) = call(&app, list(&[("from", "2026-01-01"), ("to", "2026-01-16")])).await;
    assert!(body["items"].is_array(), "16 whole days are allowed");
}

#[tokio::test]
async fn get_cancel_and_report() {
    let app = app().await;
    let tenant = fresh_tenant();
    let caller = admin(&tenant);
    let running = job(
        &app,
        &tenant,
        "run.csv",
        OffsetDateTime::now_utc(),
        "admin-1",
        ImportStatus::InProgress,
    )
    .await;
    let (status, body) = call(
        &app,
        Call::new("POST", &format!("/v1/imports/{}/cancel", running.id)).as_caller(caller.clone()),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("cancelled")));
    let (status, _) = call(
        &app,
        Call::new("POST", &format!("/v1/imports/{}/cancel", running.id)).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(status, 409, "a finished job cannot be cancelled");

    let (status, _) = call(
        &app,
        Call::new("GET", &format!("/v1/imports/{}", running.id)).as_caller(admin(&fresh_tenant())),
    )
    .await;
    assert_eq!(status, 404, "other tenants' jobs do not exist");
    let (status, _) = call(
        &app,
        Call::new("GET", "/v1/imports/not-a-job").as_caller(caller.clone()),
    )
    .await;
    assert_eq!(status, 400);

    let mut done = job(
        &app,
        &tenant,
        "done.csv",
        OffsetDateTime::now_utc(),
        "admin-1",
        ImportStatus::CompletedWithErrors,
    )
    .await;
    let key = format!("reports/{tenant}/{}/errors.csv", done.id);
    app.files
        .put(&key, b"Row,login,Errors\n".to_vec(), "text/csv")
        .await
        .unwrap();
    let expected = done.version;
    done.report_key = Some(key.clone());
    done.version += 1;
    app.store.save_job(expected, &done).await.unwrap();
    let (status, body) = call(
        &app,
        Call::new("GET", &format!("/v1/imports/{}/report", done.id)).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(status, 200);
    let url = body["url"].as_str().unwrap();
    assert!(
        url.contains(&key) && url.contains("X-Amz-Signature"),
        "{url}"
    );
    // A report holds rows of every department: a manager of some may not read it.
    let report = format!("/v1/imports/{}/report", done.id);
    let manager = claims("m-1", tenant.as_str(), &["manager"], &["sales"]);
    let (status, body) = call(&app, Call::new("GET", &report).as_caller(manager)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let analyst = claims("a-1", tenant.as_str(), &["analyst"], &[]);
    let (status, _) = call(&app, Call::new("GET", &report).as_caller(analyst)).await;
    assert_eq!(status, 200);
    let (_, view) = call(
        &app,
        Call::new("GET", &format!("/v1/imports/{}", done.id)).as_caller(caller),
    )
    .await;
    assert_eq!(view["report_available"], true);
    assert!(
        view.get("object_key").is_none() && view.get("version").is_none(),
        "internal fields stay internal"
    );
}

#[test]
fn the_openapi_document_lists_exactly_the_import_routes() {
    let doc: Value = serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
    let mut documented = std::collections::BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/imports") {
            for method in ops.as_object().unwrap().keys() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routed: std::collections::BTreeSet<(String, String)> = imports_api::ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routed);
}
