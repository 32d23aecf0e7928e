//! SCIM's error response (RFC 7644 §3.12): every failure of a `/scim/v2` route is one of these,
//! with the HTTP status as a string and a `scimType` where the RFC names one. Field errors of
//! the shared validation are reworded with the SCIM attribute the identity provider sent, so
//! an admin reading Okta's or Entra ID's provisioning log sees `name.familyName`, not
//! `last_name`. Internal details go to the log only.

use serde_json::{Value, json};

use crate::error::AppError;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl std::error::Error for ScimError {}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidValue"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidSyntax"), detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidFilter"), detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidPath"), detail)
    }

    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(400, Some("noTarget"), detail)
    }

    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::new(400, Some("tooMany"), detail)
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some("uniqueness"), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, None, detail)
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            412,
            None,
            "the resource changed since the version in If-Match: read it again",
        )
    }

    /// The response body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::String(t.to_owned());
        }
        body
    }
}

/// The SCIM attribute that carries a field of the user record.
pub fn scim_attribute(field: &str) -> &str {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match base {
        "login" => "userName",
        "first_name" => "name.givenName",
        "last_name" => "name.familyName",
        "email" => "emails",
        "mobile_phone" => "phoneNumbers[type eq \"mobile\"]",
        "business_phone" => "phoneNumbers[type eq \"work\"]",
        "department_id" => "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "group_ids" => "groups",
        "name" => "displayName",
        _ => field,
    }
}

fn fields_text(fields: &[crate::validation::FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", scim_attribute(&f.field), f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<AppError> for ScimError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Forbidden(m) => Self::new(403, None, m),
            AppError::NotFound(what) => Self::not_found(format!("{what} not found")),
            AppError::BadRequest { message, fields } if fields.is_empty() => {
                Self::invalid_value(message)
            }
            AppError::BadRequest { fields, .. } => Self::invalid_value(fields_text(&fields)),
            AppError::Validation(errors) => Self::invalid_value(fields_text(errors.errors())),
            AppError::Conflict { message, fields } if fields.is_empty() => {
                Self::uniqueness(message)
            }
            AppError::Conflict { fields, .. } => Self::uniqueness(fields_text(&fields)),
            AppError::VersionRequired | AppError::VersionMismatch => Self::precondition_failed(),
            AppError::Throttled => Self::new(429, None, "too many requests: retry shortly"),
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Self::new(500, None, "internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::ValidationErrors;

    #[test]
    fn validation_errors_name_the_scim_attribute() {
        let e: ScimError = AppError::Validation(ValidationErrors::single(
            "last_name",
            "must be at least 3 characters",
        ))
        .into();
        assert_eq!(e.status, 400);
        assert_eq!(e.scim_type, Some("invalidValue"));
        assert_eq!(e.detail, "name.familyName: must be at least 3 characters");
        let body = e.body();
        assert_eq!(body["status"], "400");
        assert_eq!(body["schemas"][0], ERROR_SCHEMA);
    }

    #[test]
    fn internal_text_never_reaches_the_body() {
        let e: ScimError = AppError::Internal("dynamodb: secret table name".into()).into();
        assert_eq!(e.status, 500);
        assert!(!e.body().to_string().contains("dynamodb"));
    }

    #[test]
    fn taken_logins_are_uniqueness_conflicts() {
        let e: ScimError = AppError::from(crate::store::StoreError::Conflict {
            field: crate::store::UniqueField::Login,
        })
        .into();
        assert_eq!((e.status, e.scim_type), (409, Some("uniqueness")));
        assert!(e.detail.starts_with("userName:"), "{}", e.detail);
    }
}
