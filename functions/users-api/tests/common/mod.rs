//! What the users API tests share: the app over the real adapters, calls through the
//! handler, and a seeded organisation.

#![allow(dead_code)]

use lambda_http::{Body, Response};
use roster_domain::ids::{DepartmentId, TenantId, UserId};
use roster_domain::use_cases::export_job::ExportConfig;
use roster_tests::apigw::{Call, claims};
use roster_tests::{create_department, fresh_tenant};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use users_api::{App, handle};

pub type TestApp = users_api::AwsApp;

/// The app with exports above `inline_bytes` answered by a link.
pub async fn app_with_export_limit(inline_bytes: usize) -> TestApp {
    let config = roster_aws::load_aws_config().await;
    let app = App::from_environment(&config).expect("run through scripts/test");
    App {
        export: ExportConfig {
            inline_bytes,
            ..app.export
        },
        ..app
    }
}

pub async fn app() -> TestApp {
    let config = roster_aws::load_aws_config().await;
    App::from_environment(&config).expect("run through scripts/test")
}

pub fn bucket() -> String {
    std::env::var("ROSTER_IMPORT_BUCKET").expect("ROSTER_IMPORT_BUCKET")
}

pub struct Reply {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn error_fields(&self) -> BTreeSet<String> {
        self.json()["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub fn reply(response: Response<Body>) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = match response.into_body() {
        Body::Text(t) => t,
        Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    };
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn call(app: &TestApp, c: Call) -> Reply {
    reply(handle(app, c.request()).await)
}

/// A tenant with departments `sales` (holding John Smith) and `support` (empty).
pub struct Org {
    pub tenant: TenantId,
    pub john: UserId,
}

impl Org {
    pub async fn new(app: &TestApp) -> Self {
        let tenant = fresh_tenant();
        create_department(&app.store, &tenant, &DepartmentId::parse("sales").unwrap()).await;
        create_department(
            &app.store,
            &tenant,
            &DepartmentId::parse("support").unwrap(),
        )
        .await;
        let created = call(
            app,
            Call::new("POST", "/v1/users")
                .as_caller(admin(&tenant))
                .json(json!({
                    "login": "John.Smith", "first_name": "John", "last_name": "Smith",
                    "email": "john.smith@example.com", "mobile_phone": "+12015550123",
                    "department_id": "sales",
                })),
        )
        .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let john = UserId::parse(created.json()["id"].as_str().unwrap()).unwrap();
        Self { tenant, john }
    }

    pub fn user_path(&self, suffix: &str) -> String {
        format!("/v1/users/{}{suffix}", self.john)
    }
}

pub fn admin(tenant: &TenantId) -> Value {
    claims("admin-1", tenant.as_str(), &["admin"], &[])
}

pub fn analyst(tenant: &TenantId) -> Value {
    claims("analyst-1", tenant.as_str(), &["analyst"], &[])
}

pub fn manager(tenant: &TenantId, departments: &[&str]) -> Value {
    claims("manager-1", tenant.as_str(), &["manager"], departments)
}
