//! `POST /v1/activate`: the public endpoint a device calls with login + code or login + IMEI.
//!
//! Its own function because it is public: no authorizer, its own throttling, and privileges
//! limited to reading users, codes and marking a user trusted.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use roster_domain::activation::{ActivationAttempt, ActivationFailure, Proof, activate_device};
use roster_domain::error::AppError;
use roster_domain::store::{ActivationCodeStore, ActivationLimits, FindUser, GetUser, TrustUser};
use roster_domain::validation::EMAIL_MAX;
use roster_http::{HttpError, error_response, json, json_body};
use serde::Deserialize;
use serde_json::json as json_value;

/// Longer than any code or IMEI a user could type, spaces and dashes included.
const CODE_INPUT_MAX: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    tenant_id: String,
    login: String,
    code: Option<String>,
    imei: Option<String>,
}

fn attempt(request: &Request) -> Result<ActivationAttempt, HttpError> {
    if request.method() != "POST" {
        return Err(HttpError::MethodNotAllowed {
            method: request.method().to_string(),
            allow: "POST".into(),
        });
    }
    if request.uri().path().trim_end_matches('/') != "/v1/activate" {
        return Err(AppError::NotFound("route").into());
    }
    let body: ActivateBody = json_body(request)?;
    // Longer values than any valid one are refused before they reach a key (DynamoDB keys
    // stop at 2,048 bytes: a longer one would be a 500 and fire the 5xx alarm).
    for (field, value, max) in [
        ("tenant_id", Some(&body.tenant_id), 64),
        ("login", Some(&body.login), EMAIL_MAX),
        ("code", body.code.as_ref(), CODE_INPUT_MAX),
        ("imei", body.imei.as_ref(), CODE_INPUT_MAX),
    ] {
        if value.is_some_and(|v| v.chars().count() > max) {
            return Err(HttpError::bad_field(
                field,
                format!("must be at most {max} characters"),
            ));
        }
    }
    let proof = match (body.code, body.imei) {
        (Some(code), None) => Proof::Code(code),
        (None, Some(imei)) => Proof::Imei(imei),
        _ => {
            return Err(HttpError::bad_request(
                "send either a code or an imei, not both",
            ));
        }
    };
    Ok(ActivationAttempt {
        tenant_id: body.tenant_id,
        login: body.login,
        proof,
        source: source_address(request),
    })
}

/// The caller's address as the gateway saw it (not a header a caller could forge).
fn source_address(request: &Request) -> String {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    }
    .filter(|ip| ip.len() <= 64)
    .unwrap_or_else(|| "unknown".to_owned())
}

/// Seconds until the hour's counters give way to the next hour's.
fn seconds_to_next_hour() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (3600 - now % 3600) as i64
}

pub async fn handle<S>(store: &S, request: Request) -> Response<Body>
where
    S: FindUser + GetUser + TrustUser + ActivationCodeStore + ActivationLimits + Sync,
{
    let attempt = match attempt(&request) {
        Ok(a) => a,
        Err(e) => return error_response(&e),
    };
    match activate_device(store, attempt).await {
        Ok(user) => {
            tracing::info!(user_id = %user.id, "device activated");
            json(
                StatusCode::OK,
                &json_value!({ "status": "activated", "user_id": user.id, "trusted": true }),
            )
        }
        Err(ActivationFailure::Invalid { attempts_left }) => {
            tracing::info!(attempts_left, "activation refused");
            json(
                StatusCode::UNAUTHORIZED,
                &json_value!({ "error": {
                    "code": "activation_failed",
                    "message": "the login or the code is not valid",
                    "fields": [],
                    "attempts_left": attempts_left,
                }}),
            )
        }
        Err(ActivationFailure::Locked) => {
            tracing::warn!("activation locked: too many failures of the login or the source");
            let mut response = json(
                StatusCode::TOO_MANY_REQUESTS,
                &json_value!({ "error": {
                    "code": "too_many_attempts",
                    "message": "too many failed activations: try again later",
                    "fields": [],
                    "attempts_left": 0,
                }}),
            );
            if let Ok(value) = seconds_to_next_hour().to_string().parse() {
                response.headers_mut().insert("retry-after", value);
            }
            response
        }
        Err(ActivationFailure::BadRequest(errors)) => {
            error_response(&AppError::Validation(errors).into())
        }
        Err(ActivationFailure::Store(e)) => error_response(&AppError::from(e).into()),
    }
}
