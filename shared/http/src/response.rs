//! Responses: JSON bodies, and the one error shape
//! `{"error": {"code", "message", "fields": [{"field", "message"}]}}`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use roster_domain::error::AppError;

use crate::error::HttpError;
use roster_domain::validation::FieldError;
use serde::Serialize;
use serde_json::json;

fn build(status: StatusCode, body: String, headers: &[(&str, String)]) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(Body::Text(body))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    json_with_headers(status, value, &[])
}

pub fn json_with_headers<T: Serialize>(
    status: StatusCode,
    value: &T,
    headers: &[(&str, String)],
) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(body) => build(status, body, headers),
        Err(e) => error_response(&HttpError::internal(format!("response encoding: {e}"))),
    }
}

pub fn empty(status: StatusCode) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(Body::Empty)
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

fn app_parts(error: &AppError) -> (StatusCode, &'static str, String, &[FieldError]) {
    match error {
        AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone(), &[]),
        AppError::NotFound(what) => (
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
            &[],
        ),
        AppError::BadRequest { message, fields } => (
            StatusCode::BAD_REQUEST,
            "bad_request",
            message.clone(),
            fields,
        ),
        AppError::Validation(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "some fields are not valid: see fields".to_owned(),
            errors.errors(),
        ),
        AppError::Conflict { message, fields } => {
            (StatusCode::CONFLICT, "conflict", message.clone(), fields)
        }
        AppError::VersionRequired => (
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the ETag of the version you read".to_owned(),
            &[],
        ),
        AppError::VersionMismatch => (
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            error.to_string(),
            &[],
        ),
        AppError::Throttled => (
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            error.to_string(),
            &[],
        ),
        AppError::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; it has been logged".to_owned(),
            &[],
        ),
    }
}

fn parts(error: &HttpError) -> (StatusCode, &'static str, String, &[FieldError]) {
    match error {
        HttpError::App(e) => app_parts(e),
        HttpError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m.clone(), &[]),
        HttpError::MethodNotAllowed { .. } => (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            error.to_string(),
            &[],
        ),
        HttpError::PayloadTooLarge(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            error.to_string(),
            &[],
        ),
    }
}

/// The error as a response. Internal details are logged here and never sent.
pub fn error_response(error: &HttpError) -> Response<Body> {
    let (status, code, message, fields) = parts(error);
    if status.is_server_error() {
        tracing::error!(error = %error, "request failed");
    } else {
        tracing::info!(status = status.as_u16(), code, "request refused");
    }
    let body = json!({ "error": { "code": code, "message": message, "fields": fields } });
    let headers: Vec<(&str, String)> = match error {
        HttpError::App(AppError::Throttled) => vec![("retry-after", "1".to_owned())],
        HttpError::Unauthorized(_) => vec![("www-authenticate", "Bearer".to_owned())],
        HttpError::MethodNotAllowed { allow, .. } => vec![("allow", allow.clone())],
        _ => vec![],
    };
    build(status, body.to_string(), &headers)
}
