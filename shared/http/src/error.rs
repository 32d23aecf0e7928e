//! Errors of the HTTP edge: the domain's [`AppError`] plus what only HTTP can get wrong (no
//! token, a method the route does not have, a body over the limit). Each maps to one status
//! and the one JSON error shape in `response.rs`.

use roster_domain::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    App(#[from] AppError),
    /// No usable identity in the verified claims.
    #[error("{0}")]
    Unauthorized(String),
    /// The methods the path has go in the `Allow` header.
    #[error("{method} is not allowed here; use {allow}")]
    MethodNotAllowed { method: String, allow: String },
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
}

impl HttpError {
    /// A 400 naming the field (a path id, a query parameter, a header).
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::App(AppError::bad_field(field, message))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::App(AppError::bad_request(message))
    }

    /// Details for the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::App(AppError::Internal(detail.to_string()))
    }
}
