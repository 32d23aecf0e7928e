//! The application error: what went wrong in a use case, in terms a client can act on. No
//! HTTP here: `roster-http` maps each kind to one status and the JSON error shape (and words
//! `VersionRequired` as the missing `If-Match`); `Internal` text goes to logs only.

use crate::store::{StoreError, UniqueField};
use crate::validation::{FieldError, ValidationErrors};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request itself is malformed (syntax, types, unknown or read-only fields, ids).
    #[error("{message}")]
    BadRequest {
        message: String,
        fields: Vec<FieldError>,
    },
    /// Well-formed, but the values break the rules.
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error("{message}")]
    Conflict {
        message: String,
        fields: Vec<FieldError>,
    },
    /// A change to a versioned record that does not say which version it was made from.
    #[error("say which version of the record you read")]
    VersionRequired,
    #[error("the record was changed by someone else: read it again and retry")]
    VersionMismatch,
    #[error("too many requests: retry shortly")]
    Throttled,
    /// Details for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            fields: vec![],
        }
    }

    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self::BadRequest {
            message: format!("{field}: {message}"),
            fields: vec![FieldError::new(field, message)],
        }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { field } => {
                let (what, owner) = match field {
                    UniqueField::Login => ("login", "user (compared without case)"),
                    UniqueField::Email => ("e-mail address", "user (compared without case)"),
                    UniqueField::Extension => ("extension", "device of the organisation"),
                    UniqueField::MacAddress => ("MAC address", "device of the organisation"),
                };
                Self::Conflict {
                    message: format!("this {what} is already taken"),
                    fields: vec![FieldError::new(
                        field.as_str(),
                        format!("is already taken by another {owner}"),
                    )],
                }
            }
            StoreError::AlreadyExists => Self::Conflict {
                message: "a record with this id already exists".into(),
                fields: vec![],
            },
            StoreError::NameTaken => Self::Conflict {
                message: "another record already has this name".into(),
                fields: vec![FieldError::new(
                    "name",
                    "is already used (compared without case)",
                )],
            },
            StoreError::NotFound => Self::NotFound("record"),
            StoreError::VersionMismatch => Self::VersionMismatch,
            StoreError::MissingDepartment => Self::Validation(ValidationErrors::single(
                "department_id",
                "this department does not exist in your organisation",
            )),
            StoreError::DepartmentNotEmpty => Self::Conflict {
                message: "the department still has users: move or delete them first".into(),
                fields: vec![],
            },
            StoreError::ImportRunning => Self::Conflict {
                message: "an import is creating users in your organisation's departments: delete the department when it has finished".into(),
                fields: vec![],
            },
            StoreError::BadCursor => Self::bad_field("cursor", "is not a cursor this API issued"),
            StoreError::Throttled => Self::Throttled,
            StoreError::Unavailable(detail) => Self::Internal(detail),
        }
    }
}
