//! Request bodies: at most 256 KB of UTF-8 JSON, decoded with errors that name the field.

use lambda_http::{Body, Request};

use crate::error::HttpError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

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

/// JSON (and JSON Schema's `integer`) does not tell `3.0` from `3`; clients that write whole
/// numbers with a fraction mean the integer, so integer fields take them.
fn whole_numbers_as_integers(mut value: Value) -> Value {
    fn visit(value: &mut Value) {
        match value {
            Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                // Exactly representable integers only (|f| < 2^53).
                if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                    *n = Number::from(f as i64);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(visit),
            Value::Object(members) => members.values_mut().for_each(visit),
            _ => {}
        }
    }
    visit(&mut value);
    value
}

/// The body as a JSON object (for bodies checked field by field, like users).
pub fn json_object(request: &Request) -> Result<Map<String, Value>, HttpError> {
    let text = text(request)?;
    if text.trim().is_empty() {
        return Err(HttpError::bad_request("a JSON object body is required"));
    }
    match serde_json::from_str::<Value>(text).map(whole_numbers_as_integers) {
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
    serde_path_to_error::deserialize(whole_numbers_as_integers(value)).map_err(|e| {
        let field = e.path().to_string();
        let message = e.into_inner().to_string();
        if field == "." {
            HttpError::bad_request(message)
        } else {
            HttpError::bad_field(field, message)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_with_a_fraction_are_integers_and_others_stay_as_they_are() {
        let value = whole_numbers_as_integers(json!({
            "content_length": 40410.0, "rules": [{"ring_seconds": 20.0}], "negative": -3.0,
            "half": 2.5, "huge": 1e300, "text": "3.0"
        }));
        assert_eq!(value["content_length"].as_u64(), Some(40410));
        assert_eq!(value["rules"][0]["ring_seconds"].as_u64(), Some(20));
        assert_eq!(value["negative"].as_i64(), Some(-3));
        assert_eq!(value["half"].as_f64(), Some(2.5));
        assert!(value["huge"].is_f64());
        assert_eq!(value["text"], "3.0");
    }
}
