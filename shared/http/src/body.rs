//! Request bodies: at most 256 KB of UTF-8 JSON, decoded with errors that name the field.

use lambda_http::{Body, Request};

use crate::error::HttpError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub const MAX_BODY_BYTES: usize = 256 * 1024;

fn text(request: &Request) -> Result<&str, HttpError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => b"",
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(HttpError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    std::str::from_utf8(bytes)
        .map_err(|_| HttpError::bad_request("the request body is not UTF-8 text"))
}

fn syntax(e: &serde_json::Error) -> HttpError {
    HttpError::bad_request(format!(
        "the request body is not valid JSON (line {}, column {})",
        e.line(),
        e.column()
    ))
}

/// The body as a JSON object (for bodies checked field by field, like users).
pub fn json_object(request: &Request) -> Result<Map<String, Value>, HttpError> {
    let text = text(request)?;
    if text.trim().is_empty() {
        return Err(HttpError::bad_request("a JSON object body is required"));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(HttpError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(syntax(&e)),
    }
}

/// The body decoded as `T`; wrong types and unknown fields are 400s naming the field.
/// An empty body decodes as `{}`.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, HttpError> {
    let text = text(request)?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    let value: Value = serde_json::from_str(text).map_err(|e| syntax(&e))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let message = e.into_inner().to_string();
        if field == "." {
            HttpError::bad_request(message)
        } else {
            HttpError::bad_field(field, message)
        }
    })
}
