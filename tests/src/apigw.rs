//! API Gateway HTTP API (v2) requests as the JWT authorizer hands them to a function, parsed by
//! lambda_http exactly as in Lambda.

use lambda_http::Request;
use serde_json::{Value, json};

/// Claims of a caller, as Cognito issues them.
pub fn claims(sub: &str, tenant: &str, groups: &[&str], departments: &[&str]) -> Value {
    let mut claims = json!({
        "sub": sub,
        "custom:tenant_id": tenant,
        "cognito:groups": format!("[{}]", groups.join(" ")),
    });
    if !departments.is_empty() {
        claims["custom:department_ids"] = json!(format!("[{}]", departments.join(" ")));
    }
    claims
}

/// An address in 198.18.0.0/15 (set aside for tests), different on every call.
pub fn fresh_address() -> String {
    let n = ulid::Ulid::new().random() as u32;
    format!("198.{}.{}.{}", 18 + (n >> 16 & 1), n >> 8 & 0xff, n & 0xff)
}

/// A request builder; `claims: None` means no authorizer context (no token).
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub claims: Option<Value>,
    /// A Lambda authorizer's context (the SCIM token authorizer) instead of JWT claims.
    pub lambda_context: Option<Value>,
    /// The caller's address: a fresh one per call unless set, so per-address limits of one
    /// test never meet another's.
    pub source_ip: String,
}

impl Call {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: vec![],
            headers: vec![],
            body: None,
            claims: None,
            lambda_context: None,
            source_ip: fresh_address(),
        }
    }

    pub fn from_address(mut self, ip: &str) -> Self {
        self.source_ip = ip.to_owned();
        self
    }

    pub fn as_caller(mut self, claims: Value) -> Self {
        self.claims = Some(claims);
        self
    }

    /// As API Gateway hands over a request its Lambda authorizer admitted.
    pub fn authorized_by_lambda(mut self, context: Value) -> Self {
        self.lambda_context = Some(context);
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body.to_string());
        self
    }

    pub fn raw_body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }

    /// The API Gateway v2 event JSON.
    pub fn event(&self) -> Value {
        let raw_query = self
            .query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = serde_json::Map::new();
        headers.insert("content-type".into(), json!("application/json"));
        for (k, v) in &self.headers {
            headers.insert(k.to_lowercase(), json!(v));
        }
        let query: serde_json::Map<String, Value> = self
            .query
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let mut context = json!({
            "accountId": "123456789012",
            "apiId": "roster",
            "domainName": "api.roster.test",
            "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1", "sourceIp": self.source_ip, "userAgent": "roster-tests"},
            "requestId": ulid::Ulid::new().to_string(),
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_348_800_000_i64,
        });
        if let Some(claims) = &self.claims {
            context["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
        }
        if let Some(lambda) = &self.lambda_context {
            context["authorizer"] = json!({ "lambda": lambda });
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": false,
        });
        if !query.is_empty() {
            event["queryStringParameters"] = Value::Object(query);
        }
        if let Some(body) = &self.body {
            event["body"] = json!(body);
        }
        event
    }

    pub fn request(&self) -> Request {
        request_from_event(&self.event().to_string())
    }
}

/// Parses an event file's text the way the Lambda runtime does.
pub fn request_from_event(text: &str) -> Request {
    lambda_http::request::from_str(text).expect("a valid API Gateway v2 event")
}
