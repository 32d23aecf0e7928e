//! The users API end to end through its handler, with real claims, against the emulator.

mod common;

use std::collections::BTreeSet;

use common::*;
use lambda_http::Body;
use roster_aws::s3_client;
use roster_domain::ids::DepartmentId;
use roster_domain::password::{Password, PasswordHash, policy_violations};
use roster_domain::store::{DepartmentStore, GetUser};
use roster_domain::tenant::PasswordPolicy;
use roster_tests::apigw::{Call, claims, request_from_event};
use roster_tests::fresh_tenant;
use roster_tests::messaging::TopicTap;
use serde_json::{Value, json};
use users_api::handle;
use users_api::routes::ROUTES;

/// (file, expected status): every sample in events/users-api, run against a seeded tenant.
const EVENTS: &[(&str, u16)] = &[
    ("users-create.json", 201),
    ("users-get.json", 200),
    ("users-update.json", 200),
    ("users-delete.json", 204),
    ("users-disable.json", 200),
    ("users-enable.json", 200),
    ("users-list.json", 200),
    ("users-export.json", 200),
    ("users-password.json", 200),
    ("users-password-reset.json", 204),
    ("users-activation.json", 202),
    ("departments-list.json", 200),
    ("departments-create.json", 201),
    ("departments-rename.json", 200),
    ("departments-delete.json", 204),
    ("locations-create.json", 201),
    ("job-descriptions-list.json", 200),
    ("tenant-get.json", 200),
    ("tenant-put.json", 200),
    ("openapi.json", 200),
    ("users-get-no-token.json", 401),
    ("scim-users-filter.json", 200),
];

#[tokio::test]
async fn every_sample_event_gets_its_status() {
    let app = app().await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/users-api");
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let listed: BTreeSet<String> = EVENTS.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(
        files, listed,
        "every sample is exercised, and only samples that exist"
    );
    for (file, status) in EVENTS {
        let org = Org::new(&app).await;
        let text = std::fs::read_to_string(format!("{dir}/{file}"))
            .unwrap()
            .replace("\"acme\"", &format!("\"{}\"", org.tenant))
            .replace("01JD0000000000000000000000", &org.john.to_string());
        let got = reply(handle(&app, request_from_event(&text)).await);
        assert_eq!(got.status, *status, "{file}: {}", got.body);
    }
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes() {
    let doc: Value = serde_json::from_str(users_api::OPENAPI).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/imports") {
            continue; // the imports API checks its own paths
        }
        for method in ops.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let mut routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    // The one public route, served by the device-activation function.
    routed.insert(("POST".to_owned(), "/v1/activate".to_owned()));
    assert_eq!(documented, routed);
}

/// The document lists exactly the countries the API takes, so a client (or a fuzzer) reading
/// it never sends a code that is refused.
#[test]
fn the_documented_countries_are_the_ones_the_api_takes() {
    let doc: Value = serde_json::from_str(users_api::OPENAPI).unwrap();
    let documented: Vec<&str> =
        doc["components"]["schemas"]["TenantSettings"]["properties"]["default_country"]["enum"]
            .as_array()
            .map(|codes| codes.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
    let letters = || (b'A'..=b'Z').map(char::from);
    let taken: Vec<String> = letters()
        .flat_map(|a| letters().map(move |b| format!("{a}{b}")))
        .filter(|code| roster_domain::tenant::Country::parse(code).is_some())
        .collect();
    assert_eq!(
        documented,
        taken,
        "the enum should be {}",
        serde_json::to_string(&taken).unwrap()
    );
}

#[tokio::test]
async fn users_lifecycle_with_etags() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);

    let got = call(
        &app,
        Call::new("GET", &org.user_path("")).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.headers["etag"], "\"1\"");
    let body = got.json();
    assert_eq!(body["login"], "John.Smith");
    assert_eq!(body["version"], 1);
    assert!(body.get("password_hash").is_none());

    let no_match = call(
        &app,
        Call::new("PATCH", &org.user_path(""))
            .as_caller(caller.clone())
            .json(json!({"first_name": "X"})),
    )
    .await;
    assert_eq!(
        (no_match.status, no_match.error_code().as_str()),
        (428, "precondition_required")
    );

    let patched = call(
        &app,
        Call::new("PATCH", &org.user_path(""))
            .as_caller(caller.clone())
            .header("If-Match", "\"1\"")
            .json(json!({"first_name": "Johnny", "email": null})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.headers["etag"], "\"2\"");
    assert_eq!(patched.json()["first_name"], "Johnny");
    assert!(
        patched.json().get("email").is_none(),
        "null cleared the e-mail"
    );

    let stale = call(
        &app,
        Call::new("PATCH", &org.user_path(""))
            .as_caller(caller.clone())
            .header("If-Match", "1")
            .json(json!({"first_name": "Lost"})),
    )
    .await;
    assert_eq!(
        (stale.status, stale.error_code().as_str()),
        (412, "version_mismatch")
    );

    let disabled = call(
        &app,
        Call::new("POST", &org.user_path("/disable"))
            .as_caller(caller.clone())
            .json(json!({"reason": "r".repeat(150)})),
    )
    .await;
    assert_eq!(disabled.status, 200);
    assert_eq!(disabled.json()["status"], "disabled");
    assert_eq!(disabled.json()["disabled_by"], "admin-1");
    let too_long = call(
        &app,
        Call::new("POST", &org.user_path("/disable"))
            .as_caller(caller.clone())
            .json(json!({"reason": "r".repeat(151)})),
    )
    .await;
    assert_eq!(too_long.status, 422);
    assert_eq!(
        too_long.error_fields(),
        BTreeSet::from(["reason".to_owned()])
    );
    let enabled = call(
        &app,
        Call::new("POST", &org.user_path("/enable")).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(enabled.json()["status"], "active");
    assert!(enabled.json()["disabled_reason"].is_null());

    let deleted = call(
        &app,
        Call::new("DELETE", &org.user_path("")).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(deleted.status, 204);
    let gone = call(
        &app,
        Call::new("GET", &org.user_path("")).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(gone.status, 404);
    let reuse = call(&app, Call::new("POST", "/v1/users").as_caller(caller).json(json!({
        "login": "john.smith", "first_name": "J", "last_name": "S", "email": "john.smith@example.com", "department_id": "sales"
    }))).await;
    assert_eq!(
        reuse.status, 201,
        "login and e-mail were freed: {}",
        reuse.body
    );
}

#[tokio::test]
async fn create_reports_every_bad_field_and_conflicts_by_name() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    let bad = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
        "login": "a b", "last_name": "!!", "priority": 9, "department_id": "sales", "imei": "123"
    }))).await;
    assert_eq!(
        (bad.status, bad.error_code().as_str()),
        (422, "validation_failed")
    );
    let fields = bad.error_fields();
    for f in [
        "login",
        "first_name",
        "last_name",
        "priority",
        "email",
        "mobile_phone",
        "imei",
    ] {
        assert!(fields.contains(f), "{f} missing from {fields:?}");
    }
    let dup_login = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
        "login": "JOHN.SMITH", "first_name": "A", "last_name": "B", "email": "other@example.com", "department_id": "sales"
    }))).await;
    assert_eq!(
        (dup_login.status, dup_login.error_fields()),
        (409, BTreeSet::from(["login".to_owned()]))
    );
    let dup_email = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
        "login": "other", "first_name": "A", "last_name": "B", "email": "John.Smith@Example.com", "department_id": "sales"
    }))).await;
    assert_eq!(
        (dup_email.status, dup_email.error_fields()),
        (409, BTreeSet::from(["email".to_owned()]))
    );
    let no_dept = call(&app, Call::new("POST", "/v1/users").as_caller(caller).json(json!({
        "login": "nodept", "first_name": "A", "last_name": "B", "email": "nd@example.com", "department_id": "ghost"
    }))).await;
    assert_eq!(
        (no_dept.status, no_dept.error_fields()),
        (422, BTreeSet::from(["department_id".to_owned()]))
    );
}

#[tokio::test]
async fn bad_requests_are_4xx_with_clear_messages_never_500() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    let post = || Call::new("POST", "/v1/users").as_caller(caller.clone());
    let cases: Vec<(&str, Call, u16, Option<&str>)> = vec![
        ("malformed JSON", post().raw_body("{\"login\": "), 400, None),
        ("not an object", post().raw_body("[1,2]"), 400, None),
        (
            "wrong type",
            post().json(json!({"login": "abc", "priority": "high"})),
            400,
            Some("priority"),
        ),
        (
            "unknown field",
            post().json(json!({"login": "abc", "favourite_colour": "red"})),
            400,
            Some("favourite_colour"),
        ),
        (
            "read-only field",
            post().json(json!({"login": "abc", "trusted": true})),
            400,
            Some("trusted"),
        ),
        (
            "read-only version",
            post().json(json!({"login": "abc", "version": 7})),
            400,
            Some("version"),
        ),
        (
            "huge body",
            post().raw_body(&format!("{{\"login\": \"{}\"}}", "x".repeat(300 * 1024))),
            413,
            None,
        ),
        (
            "bad user id",
            Call::new("GET", "/v1/users/not-an-id").as_caller(caller.clone()),
            400,
            Some("id"),
        ),
        (
            "bad cursor",
            Call::new("GET", "/v1/users")
                .as_caller(caller.clone())
                .query("cursor", "forged"),
            400,
            Some("cursor"),
        ),
        (
            "bad limit",
            Call::new("GET", "/v1/users")
                .as_caller(caller.clone())
                .query("limit", "5000"),
            400,
            Some("limit"),
        ),
        (
            "search text longer than an index key may be",
            Call::new("GET", "/v1/users")
                .as_caller(caller.clone())
                .query("q", &"x".repeat(2000)),
            400,
            Some("q"),
        ),
        (
            "the same for the address book",
            Call::new("GET", "/v1/address-book")
                .as_caller(caller.clone())
                .query("q", &"x".repeat(2000)),
            400,
            Some("q"),
        ),
        (
            "bad role filter",
            Call::new("GET", "/v1/users")
                .as_caller(caller.clone())
                .query("role", "wizard"),
            400,
            Some("role"),
        ),
        (
            "bad If-Match",
            Call::new("PATCH", &org.user_path(""))
                .as_caller(caller.clone())
                .header("If-Match", "yesterday")
                .json(json!({})),
            400,
            Some("If-Match"),
        ),
        (
            "password in PATCH",
            Call::new("PATCH", &org.user_path(""))
                .as_caller(caller.clone())
                .header("If-Match", "1")
                .json(json!({"password": "x"})),
            400,
            Some("password"),
        ),
        (
            "unknown route",
            Call::new("GET", "/v1/nothing").as_caller(caller.clone()),
            404,
            None,
        ),
        (
            "wrong method",
            Call::new("PUT", "/v1/users").as_caller(caller.clone()),
            405,
            None,
        ),
        ("no token", Call::new("GET", "/v1/users"), 401, None),
        (
            "no tenant claim",
            Call::new("GET", "/v1/users")
                .as_caller(json!({"sub": "x", "cognito:groups": "[admin]"})),
            401,
            None,
        ),
        (
            "unknown role",
            Call::new("GET", "/v1/users").as_caller(claims(
                "x",
                org.tenant.as_str(),
                &["superuser"],
                &[],
            )),
            403,
            None,
        ),
        (
            "bad export format",
            Call::new("GET", "/v1/users/export")
                .as_caller(caller.clone())
                .query("format", "pdf"),
            400,
            Some("format"),
        ),
        (
            "both password modes",
            Call::new("POST", &org.user_path("/password"))
                .as_caller(caller.clone())
                .json(json!({"generate": true, "password": "Abcdefgh1234"})),
            400,
            None,
        ),
    ];
    for (name, c, status, field) in cases {
        let got = call(&app, c).await;
        assert_eq!(got.status, status, "{name}: {}", got.body);
        let body = got.json();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.len() > 8, "{name}: vague message {message:?}");
        assert!(
            !message.contains("Unavailable") && !message.contains("serde"),
            "{name}: internal text leaked: {message}"
        );
        if let Some(field) = field {
            assert!(
                got.error_fields().contains(field),
                "{name}: {field} not named in {}",
                got.body
            );
        }
    }
    // Non-UTF-8 bytes in a body.
    let mut request = Call::new("POST", "/v1/users").as_caller(caller).request();
    *request.body_mut() = Body::Binary(vec![0xff, 0xfe, 0x00]);
    let got = reply(handle(&app, request).await);
    assert_eq!(got.status, 400, "{}", got.body);
}

/// (route, what each role gets): admin, manager of the user's department, analyst.
#[tokio::test]
async fn each_route_for_each_role() {
    let app = app().await;
    struct Case {
        method: &'static str,
        path: &'static str,
        body: Option<Value>,
        admin: u16,
        manager: u16,
        analyst: u16,
    }
    let c = |method, path, body, admin, manager, analyst| Case {
        method,
        path,
        body,
        admin,
        manager,
        analyst,
    };
    let cases = [
        c("GET", "/v1/users/{id}", None, 200, 200, 200),
        c("GET", "/v1/users", None, 200, 200, 200),
        c("GET", "/v1/users/export", None, 200, 200, 200),
        c(
            "PATCH",
            "/v1/users/{id}",
            Some(json!({"nickname": "Jo"})),
            200,
            200,
            403,
        ),
        c(
            "POST",
            "/v1/users/{id}/disable",
            Some(json!({})),
            200,
            200,
            403,
        ),
        c("POST", "/v1/users/{id}/enable", None, 200, 200, 403),
        c(
            "POST",
            "/v1/users/{id}/password",
            Some(json!({"generate": true})),
            200,
            200,
            403,
        ),
        c("POST", "/v1/users/{id}/password/reset", None, 204, 204, 403),
        c(
            "POST",
            "/v1/users/{id}/activation",
            Some(json!({"channels": ["sms"]})),
            202,
            202,
            403,
        ),
        c("DELETE", "/v1/users/{id}", None, 204, 204, 403),
        c(
            "POST",
            "/v1/users",
            Some(
                json!({"login": "new.one", "first_name": "N", "last_name": "O", "email": "n@example.com", "department_id": "sales"}),
            ),
            201,
            201,
            403,
        ),
        c("GET", "/v1/departments", None, 200, 200, 200),
        c(
            "POST",
            "/v1/departments",
            Some(json!({"id": "ops", "name": "Ops"})),
            201,
            403,
            403,
        ),
        c(
            "PATCH",
            "/v1/departments/sales",
            Some(json!({"name": "Sales 2"})),
            200,
            403,
            403,
        ),
        c("DELETE", "/v1/departments/support", None, 204, 403, 403),
        c("GET", "/v1/tenant", None, 200, 403, 403),
        c(
            "PUT",
            "/v1/tenant",
            Some(json!({"last_name_min_length": 2})),
            200,
            403,
            403,
        ),
    ];
    for case in &cases {
        for (role, expected) in [
            ("admin", case.admin),
            ("manager", case.manager),
            ("analyst", case.analyst),
        ] {
            let org = Org::new(&app).await;
            let who = match role {
                "admin" => admin(&org.tenant),
                "manager" => manager(&org.tenant, &["sales"]),
                _ => analyst(&org.tenant),
            };
            let path = case.path.replace("{id}", &org.john.to_string());
            let mut request = Call::new(case.method, &path)
                .as_caller(who)
                .header("If-Match", "1");
            if let Some(body) = &case.body {
                request = request.json(body.clone());
            }
            let got = call(&app, request).await;
            assert_eq!(
                got.status, expected,
                "{role} {} {}: {}",
                case.method, case.path, got.body
            );
        }
    }
}

#[tokio::test]
async fn managers_reach_only_their_departments() {
    let app = app().await;
    let org = Org::new(&app).await;
    let support_manager = manager(&org.tenant, &["support"]);
    let get = call(
        &app,
        Call::new("GET", &org.user_path("")).as_caller(support_manager.clone()),
    )
    .await;
    assert_eq!(
        get.status, 404,
        "users outside the manager's departments are invisible"
    );
    let create_elsewhere = call(&app, Call::new("POST", "/v1/users").as_caller(support_manager.clone()).json(json!({
        "login": "sneaky", "first_name": "S", "last_name": "N", "email": "s@example.com", "department_id": "sales"
    }))).await;
    assert_eq!(create_elsewhere.status, 403);
    let listed = call(
        &app,
        Call::new("GET", "/v1/users").as_caller(support_manager),
    )
    .await;
    assert_eq!(listed.status, 200);
    assert!(listed.json()["items"].as_array().unwrap().is_empty());
    let two = manager(&org.tenant, &["sales", "support"]);
    let ambiguous = call(&app, Call::new("GET", "/v1/users").as_caller(two.clone())).await;
    assert_eq!(
        (ambiguous.status, ambiguous.error_fields()),
        (400, BTreeSet::from(["department_id".to_owned()]))
    );
    let sales = call(
        &app,
        Call::new("GET", "/v1/users")
            .as_caller(two)
            .query("department_id", "sales"),
    )
    .await;
    assert_eq!(sales.json()["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_tenants_admin_gets_404_everywhere_and_changes_nothing() {
    let app = app().await;
    let a = Org::new(&app).await;
    let b = Org::new(&app).await;
    let intruder = admin(&b.tenant);
    let before = app
        .store
        .get_user(&a.tenant, &a.john)
        .await
        .unwrap()
        .unwrap();
    for (method, suffix, body) in [
        ("GET", "", None),
        ("PATCH", "", Some(json!({"first_name": "Pwned"}))),
        ("DELETE", "", None),
        ("POST", "/disable", Some(json!({"reason": "x"}))),
        ("POST", "/enable", None),
        (
            "POST",
            "/password",
            Some(json!({"password": "Correct9horse"})),
        ),
        ("POST", "/password/reset", None),
        ("POST", "/activation", Some(json!({"channels": ["sms"]}))),
    ] {
        let mut request = Call::new(method, &a.user_path(suffix))
            .as_caller(intruder.clone())
            .header("If-Match", "1");
        if let Some(body) = body {
            request = request.json(body);
        }
        let got = call(&app, request).await;
        assert_eq!(
            (got.status, got.error_code().as_str()),
            (404, "not_found"),
            "{method} {suffix}"
        );
    }
    let listed = call(
        &app,
        Call::new("GET", "/v1/users")
            .as_caller(intruder.clone())
            .query("q", "john"),
    )
    .await;
    let ids: Vec<&str> = listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .map(|s| Box::leak(s.into_boxed_str()) as &str)
        .collect();
    assert_eq!(
        ids,
        vec![b.john.to_string().as_str()],
        "B sees only its own John"
    );
    assert_eq!(
        app.store
            .get_user(&a.tenant, &a.john)
            .await
            .unwrap()
            .unwrap(),
        before,
        "A's user unchanged"
    );
    // B deleting "sales" deletes B's own department; A's stays.
    let dept = call(
        &app,
        Call::new("PATCH", "/v1/departments/support")
            .as_caller(intruder)
            .json(json!({"name": "B's"})),
    )
    .await;
    assert_eq!(dept.status, 200);
    let a_support = app
        .store
        .get_department(&a.tenant, &DepartmentId::parse("support").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a_support.name, "Department support");
}

#[tokio::test]
async fn passwords_are_hashed_generated_to_policy_and_never_returned() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    let weak = call(
        &app,
        Call::new("POST", &org.user_path("/password"))
            .as_caller(caller.clone())
            .json(json!({"password": "weak"})),
    )
    .await;
    assert_eq!(
        (weak.status, weak.error_fields()),
        (422, BTreeSet::from(["password".to_owned()]))
    );
    assert!(
        !weak.body.contains("\"weak\""),
        "the password is not echoed"
    );

    let set = call(
        &app,
        Call::new("POST", &org.user_path("/password"))
            .as_caller(caller.clone())
            .json(json!({"password": "Correct9horse"})),
    )
    .await;
    assert_eq!(set.status, 204);
    let stored = app
        .store
        .get_user(&org.tenant, &org.john)
        .await
        .unwrap()
        .unwrap();
    let hash = stored.password_hash.clone().unwrap();
    assert!(hash.as_phc().starts_with("$argon2id$"));
    assert!(hash.verify(&Password::new("Correct9horse".into())));

    let generated = call(
        &app,
        Call::new("POST", &org.user_path("/password"))
            .as_caller(caller.clone())
            .json(json!({"generate": true})),
    )
    .await;
    assert_eq!(generated.status, 200);
    let password = generated.json()["password"].as_str().unwrap().to_owned();
    assert!(policy_violations(&PasswordPolicy::default(), &password).is_empty());
    let stored: PasswordHash = app
        .store
        .get_user(&org.tenant, &org.john)
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    assert!(stored.verify(&Password::new(password.clone())));

    let reset = call(
        &app,
        Call::new("POST", &org.user_path("/password/reset")).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(reset.status, 204);
    let view = call(
        &app,
        Call::new("GET", &org.user_path("")).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(view.json()["password_set"], true);
    assert_eq!(view.json()["password_reset_required"], true);
    let export = call(&app, Call::new("GET", "/v1/users/export").as_caller(caller)).await;
    for text in [&view.body, &export.body] {
        assert!(
            !text.contains("argon2")
                && !text.contains(&password)
                && !text.contains("Correct9horse")
        );
    }
}

#[tokio::test]
async fn invites_publish_activation_requests_on_the_topic() {
    let app = app().await;
    let tap = TopicTap::subscribe().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    let created = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
        "login": "texted", "first_name": "T", "last_name": "X", "mobile_phone": "+12015550199", "department_id": "sales", "send_text": true
    }))).await;
    assert_eq!(created.status, 201);
    let texted = created.json()["id"].as_str().unwrap().to_owned();
    let sent = call(
        &app,
        Call::new("POST", &org.user_path("/activation"))
            .as_caller(caller.clone())
            .json(json!({"channels": ["email", "sms"]})),
    )
    .await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let no_email = call(
        &app,
        Call::new("POST", &format!("/v1/users/{texted}/activation"))
            .as_caller(caller)
            .json(json!({"channels": ["email"]})),
    )
    .await;
    assert_eq!(no_email.status, 422);

    let messages: Vec<Value> = tap
        .drain()
        .await
        .into_iter()
        .filter(|m| m["tenant_id"] == org.tenant.as_str())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    let welcome = messages
        .iter()
        .find(|m| m["user_id"] == texted)
        .expect("welcome published");
    assert_eq!(welcome["schema_version"], 1);
    assert_eq!(welcome["reason"], "welcome");
    assert_eq!(welcome["channels"], json!(["sms"]));
    let resend = messages
        .iter()
        .find(|m| m["user_id"] == org.john.to_string())
        .unwrap();
    assert_eq!(resend["channels"], json!(["sms", "email"]));
    assert_eq!(resend["request_id"], sent.json()["request_id"]);
}

#[tokio::test]
async fn list_search_and_pagination_through_the_api() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    for i in 0..5 {
        let created = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
            "login": format!("agent{i}"), "first_name": "Agent", "last_name": format!("Number{i}"),
            "email": format!("agent{i}@example.com"), "department_id": "support",
        }))).await;
        assert_eq!(created.status, 201);
    }
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut c = Call::new("GET", "/v1/users")
            .as_caller(caller.clone())
            .query("limit", "2");
        if let Some(cur) = &cursor {
            c = c.query("cursor", cur);
        }
        let page = call(&app, c).await.json();
        for u in page["items"].as_array().unwrap() {
            assert!(seen.insert(u["id"].as_str().unwrap().to_owned()));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    let search = call(
        &app,
        Call::new("GET", "/v1/users")
            .as_caller(caller.clone())
            .query("q", "NUMBER3"),
    )
    .await
    .json();
    assert_eq!(search["items"].as_array().unwrap().len(), 1);
    let support = call(
        &app,
        Call::new("GET", "/v1/users")
            .as_caller(caller)
            .query("department_id", "support")
            .query("hide_system", "true"),
    )
    .await
    .json();
    assert_eq!(support["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn exports_are_csv_neutralised_and_large_ones_go_to_s3() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    let evil = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
        "login": "evil", "first_name": "=HYPERLINK(\"http://x\")", "last_name": "@SUM(1)", "email": "evil@example.com", "department_id": "sales"
    }))).await;
    assert_eq!(evil.status, 201, "{}", evil.body);
    let export = call(
        &app,
        Call::new("GET", "/v1/users/export")
            .as_caller(caller.clone())
            .query("format", "csv"),
    )
    .await;
    assert_eq!(export.status, 200);
    assert!(
        export.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let mut reader = csv::Reader::from_reader(export.body.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[1], "login");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let evil_row = rows.iter().find(|r| &r[1] == "evil").unwrap();
    assert_eq!(&evil_row[2], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&evil_row[3], "'@SUM(1)");

    let small_limit = app_with_export_limit(64).await;
    let linked = call(
        &small_limit,
        Call::new("GET", "/v1/users/export").as_caller(caller),
    )
    .await;
    assert_eq!(linked.status, 200);
    let url = linked.json()["url"].as_str().unwrap().to_owned();
    assert!(
        url.contains(&format!("exports/{}/", org.tenant)) && url.contains("X-Amz-Signature"),
        "{url}"
    );
    let key = url
        .split(&format!("/{}/", bucket()))
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let config = roster_aws::load_aws_config().await;
    let object = s3_client(&config)
        .get_object()
        .bucket(bucket())
        .key(&key)
        .send()
        .await
        .unwrap();
    let bytes = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(String::from_utf8(bytes.to_vec()).unwrap(), export.body);
}

#[tokio::test]
async fn departments_and_tenant_settings() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    let busy = call(
        &app,
        Call::new("DELETE", "/v1/departments/sales").as_caller(caller.clone()),
    )
    .await;
    assert_eq!((busy.status, busy.error_code().as_str()), (409, "conflict"));
    let dup = call(
        &app,
        Call::new("POST", "/v1/departments")
            .as_caller(caller.clone())
            .json(json!({"id": "sales", "name": "Again"})),
    )
    .await;
    assert_eq!(dup.status, 409);
    let bad = call(
        &app,
        Call::new("POST", "/v1/departments")
            .as_caller(caller.clone())
            .json(json!({"id": "a#b", "name": "Bad"})),
    )
    .await;
    assert_eq!(bad.status, 422);
    let missing = call(
        &app,
        Call::new("DELETE", "/v1/departments/nowhere").as_caller(caller.clone()),
    )
    .await;
    assert_eq!(missing.status, 404);
    let listed = call(
        &app,
        Call::new("GET", "/v1/departments").as_caller(caller.clone()),
    )
    .await
    .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    let defaults = call(
        &app,
        Call::new("GET", "/v1/tenant").as_caller(caller.clone()),
    )
    .await
    .json();
    assert_eq!(defaults["default_country"], "US");
    let put = call(
        &app,
        Call::new("PUT", "/v1/tenant")
            .as_caller(caller.clone())
            .json(json!({"last_name_min_length": 3, "default_country": "FR"})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let short = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
        "login": "short.name", "first_name": "Li", "last_name": "Li", "mobile_phone": "06 12 34 56 78", "department_id": "sales"
    }))).await;
    assert_eq!(
        (short.status, short.error_fields()),
        (422, BTreeSet::from(["last_name".to_owned()]))
    );
    let french = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
        "login": "jean", "first_name": "Jean", "last_name": "Dupont", "mobile_phone": "06 12 34 56 78", "department_id": "sales"
    }))).await;
    assert_eq!(
        french.json()["mobile_phone"],
        "+33612345678",
        "the tenant's country applies"
    );
    let bad_settings = call(
        &app,
        Call::new("PUT", "/v1/tenant")
            .as_caller(caller.clone())
            .json(json!({"default_country": "XX"})),
    )
    .await;
    assert_eq!(bad_settings.status, 400);
    // Found by schemathesis: an empty PUT used to reset every setting to its default.
    let empty = call(
        &app,
        Call::new("PUT", "/v1/tenant").as_caller(caller.clone()),
    )
    .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    let kept = call(&app, Call::new("GET", "/v1/tenant").as_caller(caller)).await;
    assert_ne!(
        kept.json(),
        json!(roster_domain::tenant::TenantSettings::default())
    );
}

async fn post(app: &TestApp, caller: &Value, path: &str, body: Value) -> Reply {
    call(
        app,
        Call::new("POST", path).as_caller(caller.clone()).json(body),
    )
    .await
}

async fn put_settings(app: &TestApp, caller: &Value, settings: Value) {
    let put = call(
        app,
        Call::new("PUT", "/v1/tenant")
            .as_caller(caller.clone())
            .json(settings),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
}

#[tokio::test]
async fn departments_take_a_name_and_get_an_id_and_users_need_none() {
    let app = app().await;
    let tenant = fresh_tenant();
    let caller = admin(&tenant);
    let made = post(
        &app,
        &caller,
        "/v1/departments",
        json!({"name": "Field Ops"}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.json()["id"].as_str().unwrap().to_owned();
    assert!(!id.is_empty());
    let chosen = post(
        &app,
        &caller,
        "/v1/departments",
        json!({"id": "hq", "name": "Head Office"}),
    )
    .await;
    assert_eq!(
        (chosen.status, chosen.json()["id"].as_str()),
        (201, Some("hq"))
    );
    let again = post(
        &app,
        &caller,
        "/v1/departments",
        json!({"name": "  field OPS "}),
    )
    .await;
    assert_eq!(
        (again.status, again.error_fields()),
        (409, BTreeSet::from(["name".to_owned()])),
        "{}",
        again.body
    );
    let rename = call(
        &app,
        Call::new("PATCH", "/v1/departments/hq")
            .as_caller(caller.clone())
            .json(json!({"name": "FIELD OPS"})),
    )
    .await;
    assert_eq!(
        (rename.status, rename.error_fields()),
        (409, BTreeSet::from(["name".to_owned()]))
    );

    // Seeds 001 and 002 have no departments: a user needs none.
    let loner = post(
        &app,
        &caller,
        "/v1/users",
        json!({
            "login": "solo", "first_name": "Solo", "last_name": "Han", "email": "solo@example.com"
        }),
    )
    .await;
    assert_eq!(loner.status, 201, "{}", loner.body);
    assert_eq!(loner.json()["department_id"], Value::Null);
    let placed = post(&app, &caller, "/v1/users", json!({
        "login": "placed", "first_name": "Pla", "last_name": "Ced", "email": "placed@example.com",
        "department_id": id,
    }))
    .await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let nowhere = post(
        &app,
        &caller,
        "/v1/users",
        json!({
            "login": "lost", "first_name": "Lo", "last_name": "St", "email": "lost@example.com",
            "department_id": "nowhere",
        }),
    )
    .await;
    assert_eq!(
        (nowhere.status, nowhere.error_fields()),
        (422, BTreeSet::from(["department_id".to_owned()]))
    );
    // A manager reaches only their departments' users, never the department-less ones.
    let solo = loner.json()["id"].as_str().unwrap().to_owned();
    let by_manager = call(
        &app,
        Call::new("GET", &format!("/v1/users/{solo}")).as_caller(manager(&tenant, &[&id])),
    )
    .await;
    assert_eq!(by_manager.status, 404);
    let listed = call(
        &app,
        Call::new("GET", "/v1/users")
            .query("department_id", &id)
            .as_caller(caller.clone()),
    )
    .await
    .json();
    let logins: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, vec!["placed"]);

    // A tenant that requires departments says so, naming the field.
    put_settings(&app, &caller, json!({"require_department": true})).await;
    let refused = post(
        &app,
        &caller,
        "/v1/users",
        json!({
            "login": "solo2", "first_name": "Solo", "last_name": "Two", "email": "solo2@example.com"
        }),
    )
    .await;
    assert_eq!(
        (refused.status, refused.error_fields()),
        (422, BTreeSet::from(["department_id".to_owned()]))
    );
}

#[tokio::test]
async fn logins_may_be_e_mails_and_stay_unique_across_logins_and_e_mails() {
    let app = app().await;
    let tenant = fresh_tenant();
    let caller = admin(&tenant);
    let person = |login: &str, email: Option<&str>| {
        let mut body = json!({"login": login, "first_name": "Ann", "last_name": "Lee"});
        if let Some(email) = email {
            body["email"] = json!(email);
        }
        body
    };
    let refused = post(&app, &caller, "/v1/users", person("ann@example.com", None)).await;
    assert_eq!(refused.status, 422, "not by default: {}", refused.body);
    put_settings(&app, &caller, json!({"logins_may_be_emails": true})).await;
    let ann = post(&app, &caller, "/v1/users", person("Ann@Example.com", None)).await;
    assert_eq!(ann.status, 201, "{}", ann.body);
    assert_eq!(
        ann.json()["email"],
        "Ann@Example.com",
        "a blank e-mail takes the login"
    );
    for (body, field) in [
        (person("ann.lee", Some("ann@example.COM")), "email"),
        (
            person("ANN@example.com", Some("other@example.com")),
            "login",
        ),
    ] {
        let clash = post(&app, &caller, "/v1/users", body).await;
        assert_eq!(
            (clash.status, clash.error_fields()),
            (409, BTreeSet::from([field.to_owned()])),
            "{}",
            clash.body
        );
    }
    // A login that is an address also holds that address among e-mails.
    let bob = post(
        &app,
        &caller,
        "/v1/users",
        person("bob@example.com", Some("bob.private@example.org")),
    )
    .await;
    assert_eq!(bob.status, 201, "{}", bob.body);
    let taken = post(
        &app,
        &caller,
        "/v1/users",
        person("robert", Some("BOB@example.com")),
    )
    .await;
    assert_eq!(
        (taken.status, taken.error_fields()),
        (409, BTreeSet::from(["email".to_owned()])),
        "{}",
        taken.body
    );
    let deleted = call(
        &app,
        Call::new(
            "DELETE",
            &format!("/v1/users/{}", bob.json()["id"].as_str().unwrap()),
        )
        .as_caller(caller.clone()),
    )
    .await;
    assert_eq!(deleted.status, 204);
    let freed = post(
        &app,
        &caller,
        "/v1/users",
        person("robert", Some("bob@example.com")),
    )
    .await;
    assert_eq!(
        freed.status, 201,
        "deleting frees both claims: {}",
        freed.body
    );
}

#[tokio::test]
async fn rtp_gateways_name_their_client_type_and_pbx_users_need_none() {
    let app = app().await;
    let tenant = fresh_tenant();
    let caller = admin(&tenant);
    let system = |login: &str, kind: &str, client: Option<&str>| {
        let mut body = json!({"login": login, "first_name": "Sys", "last_name": "Tem",
                              "mobile_phone": "+12015550100", "kind": kind});
        if let Some(client) = client {
            body["client_type"] = json!(client);
        }
        body
    };
    for (login, kind) in [
        ("queue", "call_queue"),
        ("bridge", "Conference Bridge"),
        ("attendant", "auto-attendant"),
    ] {
        let made = post(&app, &caller, "/v1/users", system(login, kind, None)).await;
        assert_eq!(made.status, 201, "{kind}: {}", made.body);
    }
    let gateway = post(
        &app,
        &caller,
        "/v1/users",
        system("gateway", "rtp_gateway", None),
    )
    .await;
    assert_eq!(
        (gateway.status, gateway.error_fields()),
        (422, BTreeSet::from(["client_type".to_owned()]))
    );
    let gateway = post(
        &app,
        &caller,
        "/v1/users",
        system("gateway", "rtp_gateway", Some("rtp_gateway")),
    )
    .await;
    assert_eq!(gateway.status, 201, "{}", gateway.body);
    post(
        &app,
        &caller,
        "/v1/users",
        json!({"login": "human", "first_name": "Hu", "last_name": "Man", "email": "h@example.com"}),
    )
    .await;
    let logins = |v: Value| -> BTreeSet<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["login"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = call(
        &app,
        Call::new("GET", "/v1/users").as_caller(caller.clone()),
    )
    .await
    .json();
    assert_eq!(logins(all).len(), 5, "system users are listed by default");
    let people = call(
        &app,
        Call::new("GET", "/v1/users")
            .query("hide_system", "true")
            .as_caller(caller.clone()),
    )
    .await
    .json();
    assert_eq!(logins(people), BTreeSet::from(["human".to_owned()]));
}

#[tokio::test]
async fn every_disable_and_enable_is_kept_newest_first() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    for (action, body) in [
        ("/disable", json!({"reason": "on leave"})),
        ("/enable", json!({})),
        ("/disable", json!({"reason": "left the company"})),
    ] {
        let changed = call(
            &app,
            Call::new("POST", &org.user_path(action))
                .as_caller(caller.clone())
                .json(body),
        )
        .await;
        assert_eq!(changed.status, 200, "{}", changed.body);
    }
    let user = call(
        &app,
        Call::new("GET", &org.user_path("")).as_caller(caller.clone()),
    )
    .await
    .json();
    assert_eq!(
        user["disabled_reason"], "left the company",
        "the current reason stays on the user"
    );
    let history = user["status_history"].as_array().unwrap();
    let seen: Vec<(&str, Option<&str>)> = history
        .iter()
        .map(|c| (c["status"].as_str().unwrap(), c["reason"].as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("disabled", Some("left the company")),
            ("active", None),
            ("disabled", Some("on leave"))
        ]
    );
    assert!(
        history
            .iter()
            .all(|c| c["by"] == "admin-1" && c["at"].is_string())
    );
    let export = call(&app, Call::new("GET", "/v1/users/export").as_caller(caller)).await;
    assert!(export.body.contains("status_history"), "{}", export.body);
    assert!(
        export.body.contains("disabled by admin-1 (on leave)"),
        "{}",
        export.body
    );
}

#[tokio::test]
async fn if_match_with_any_other_tag_is_412_and_star_means_exists() {
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    let patch = |tag: &str| {
        Call::new("PATCH", &org.user_path(""))
            .as_caller(caller.clone())
            .header("If-Match", tag)
            .json(json!({"nickname": "JJ"}))
    };
    for tag in ["\"stale-0\"", "\"7\"", "W/\"0\"", "\"2\", \"3\""] {
        assert_eq!(call(&app, patch(tag)).await.status, 412, "{tag}");
    }
    assert_eq!(call(&app, patch("not a tag")).await.status, 400);
    let star = call(&app, patch("*")).await;
    assert_eq!(
        (star.status, star.json()["nickname"].as_str()),
        (200, Some("JJ")),
        "{}",
        star.body
    );
    assert_eq!(
        call(&app, patch("\"1\", \"2\"")).await.status,
        200,
        "a list naming the current version"
    );
}

#[tokio::test]
async fn locations_and_job_descriptions_are_pick_lists() {
    let app = app().await;
    let tenant = fresh_tenant();
    let caller = admin(&tenant);
    let person = |login: &str, location: &str| {
        json!({"login": login, "first_name": "Pi", "last_name": "Ck", "email": format!("{login}@example.com"),
               "location": location, "job_description": "Night agent"})
    };
    let free = post(&app, &caller, "/v1/users", person("early", "Anywhere")).await;
    assert_eq!(free.status, 201, "no list kept: free text: {}", free.body);
    let zurich = post(&app, &caller, "/v1/locations", json!({"name": "Zurich"})).await;
    assert_eq!(zurich.status, 201, "{}", zurich.body);
    post(&app, &caller, "/v1/locations", json!({"name": "Geneva"})).await;
    let dup = post(&app, &caller, "/v1/locations", json!({"name": "ZURICH"})).await;
    assert_eq!(
        (dup.status, dup.error_fields()),
        (409, BTreeSet::from(["name".to_owned()]))
    );
    let by_analyst = post(
        &app,
        &analyst(&tenant),
        "/v1/locations",
        json!({"name": "Basel"}),
    )
    .await;
    assert_eq!(by_analyst.status, 403);
    let listed = call(
        &app,
        Call::new("GET", "/v1/locations").as_caller(analyst(&tenant)),
    )
    .await
    .json();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Geneva", "Zurich"]);

    let elsewhere = post(&app, &caller, "/v1/users", person("late", "Basel")).await;
    assert_eq!(
        (elsewhere.status, elsewhere.error_fields()),
        (422, BTreeSet::from(["location".to_owned()])),
        "{}",
        elsewhere.body
    );
    let placed = post(&app, &caller, "/v1/users", person("late", "zurich")).await;
    assert_eq!(
        (placed.status, placed.json()["location"].as_str()),
        (201, Some("Zurich")),
        "{}",
        placed.body
    );
    // The early user keeps their value for unrelated edits.
    let early = free.json();
    let edit = call(
        &app,
        Call::new(
            "PATCH",
            &format!("/v1/users/{}", early["id"].as_str().unwrap()),
        )
        .as_caller(caller.clone())
        .header("If-Match", "\"1\"")
        .json(json!({"nickname": "Early"})),
    )
    .await;
    assert_eq!(edit.status, 200, "{}", edit.body);

    let job = post(
        &app,
        &caller,
        "/v1/job-descriptions",
        json!({"name": "Day agent"}),
    )
    .await;
    assert_eq!(job.status, 201);
    let wrong_job = post(&app, &caller, "/v1/users", person("third", "Geneva")).await;
    assert_eq!(
        (wrong_job.status, wrong_job.error_fields()),
        (422, BTreeSet::from(["job_description".to_owned()]))
    );
    let id = zurich.json()["id"].as_str().unwrap().to_owned();
    let gone = call(
        &app,
        Call::new("DELETE", &format!("/v1/locations/{id}")).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(gone.status, 204);
    let again = call(
        &app,
        Call::new("DELETE", &format!("/v1/locations/{id}")).as_caller(caller.clone()),
    )
    .await;
    assert_eq!(again.status, 404);
    let recreated = post(&app, &caller, "/v1/locations", json!({"name": "Zurich"})).await;
    assert_eq!(recreated.status, 201, "the name is free again");
}

#[tokio::test]
async fn a_managers_search_pages_only_their_department_and_cursors_reveal_nothing() {
    use base64::Engine;
    let app = app().await;
    let org = Org::new(&app).await;
    let caller = admin(&org.tenant);
    // "Quill" users in two departments, interleaved: most hits are the other department's.
    for (i, department) in [
        "support", "sales", "sales", "support", "sales", "sales", "support",
    ]
    .iter()
    .enumerate()
    {
        let created = call(&app, Call::new("POST", "/v1/users").as_caller(caller.clone()).json(json!({
            "login": format!("quill{i}"), "first_name": "Ann", "last_name": format!("Quill{department}{i}"),
            "email": format!("quill{i}@example.com"), "department_id": department,
        }))).await;
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let manager = claims("m-support", org.tenant.as_str(), &["manager"], &["support"]);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let mut c = Call::new("GET", "/v1/users")
            .as_caller(manager.clone())
            .query("q", "quill")
            .query("limit", "2");
        if let Some(cur) = &cursor {
            c = c.query("cursor", cur);
        }
        let page = call(&app, c).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        for u in page["items"].as_array().unwrap() {
            assert_eq!(u["department_id"], "support", "{u}");
            seen.push(u["login"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => {
                let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(next)
                    .map(|b| String::from_utf8_lossy(&b).to_lowercase())
                    .unwrap_or_default();
                assert!(
                    !decoded.contains("quill"),
                    "the cursor carries no term: {decoded}"
                );
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        ["quill0", "quill3", "quill6"],
        "every one of theirs, once"
    );
    // A search cursor is the caller's tenant's: another tenant cannot follow it.
    let first = call(
        &app,
        Call::new("GET", "/v1/users")
            .as_caller(caller)
            .query("q", "quill")
            .query("limit", "1"),
    )
    .await
    .json();
    let next = first["next_cursor"].as_str().unwrap();
    let stranger = admin(&fresh_tenant());
    let other = call(
        &app,
        Call::new("GET", "/v1/users")
            .as_caller(stranger)
            .query("q", "quill")
            .query("cursor", next),
    )
    .await;
    assert_eq!(other.status, 400, "{}", other.body);
}

#[test]
fn docs_scim_lists_exactly_the_scim_routes() {
    let doc = include_str!("../../../docs/scim.md");
    let table = doc
        .split("<!-- scim-endpoints -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- /scim-endpoints -->").next())
        .expect("docs/scim.md has the endpoints table");
    let documented: BTreeSet<(String, String)> = table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let path = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((cells[1].to_owned(), path.to_owned()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = users_api::scim::SCIM_ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routed);
}
