//! What API clients see of a record: the one place response bodies are shaped, and never any
//! password, code or storage detail.

use serde::Serialize;
use time::OffsetDateTime;

use crate::enums::UserStatus;
use crate::ids::{Actor, ImportJobId, UserId};
use crate::import::job::{ImportCounts, ImportJob, ImportMode, ImportStatus};
use crate::user::{User, UserProfile};

/// The JSON body of a user (`GET /v1/users/{id}`, list items).
#[derive(Debug, Serialize)]
pub struct UserView<'a> {
    pub id: UserId,
    pub version: u64,
    #[serde(flatten)]
    pub profile: &'a UserProfile,
    pub trusted: bool,
    pub status: UserStatus,
    pub disabled_reason: Option<&'a str>,
    pub disabled_by: Option<&'a Actor>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub disabled_at: Option<OffsetDateTime>,
    /// Every disable and enable, newest first (the last 50).
    pub status_history: &'a [crate::user::StatusChange],
    /// Whether a password is set; the password itself is never returned.
    pub password_set: bool,
    pub password_reset_required: bool,
    /// Outcome of the latest activation request, per channel.
    pub activation: Option<&'a crate::activation::model::ActivationState>,
    /// A short-lived link to the checked photo (set by the caller that can sign links).
    pub photo_url: Option<String>,
    /// Whether an uploaded photo is still waiting to be checked.
    pub photo_pending: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: &'a Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: &'a Actor,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(u: &'a User) -> Self {
        Self {
            id: u.id,
            version: u.version,
            profile: &u.profile,
            trusted: u.trusted,
            status: u.status,
            disabled_reason: u.disabled.as_ref().and_then(|d| d.reason.as_deref()),
            disabled_by: u.disabled.as_ref().map(|d| &d.stamp.by),
            disabled_at: u.disabled.as_ref().map(|d| d.stamp.at),
            status_history: &u.status_history,
            password_set: u.password_hash.is_some(),
            password_reset_required: u.password_reset_required,
            activation: u.activation.as_ref(),
            photo_url: None,
            photo_pending: u.photo_upload.is_some(),
            created_at: u.created.at,
            created_by: &u.created.by,
            updated_at: u.updated.at,
            updated_by: &u.updated.by,
        }
    }
}

/// A job as clients see it.
#[derive(Debug, Serialize)]
pub struct ImportJobView<'a> {
    pub id: ImportJobId,
    pub file_name: &'a str,
    pub mode: ImportMode,
    pub status: ImportStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub uploaded_by: &'a str,
    pub uploaded_by_name: &'a str,
    /// For drops: who the object's metadata says uploaded it (unverified).
    pub uploaded_by_claimed: Option<&'a str>,
    pub progress: u8,
    pub counts: ImportCounts,
    pub warnings: &'a [String],
    pub error: Option<&'a str>,
    pub report_available: bool,
}

impl<'a> From<&'a ImportJob> for ImportJobView<'a> {
    fn from(j: &'a ImportJob) -> Self {
        Self {
            id: j.id,
            file_name: &j.file_name,
            mode: j.mode,
            status: j.status,
            uploaded_at: j.uploaded_at,
            uploaded_by: j.uploaded_by.as_str(),
            uploaded_by_claimed: j.uploaded_by_claimed.as_deref(),
            uploaded_by_name: j.uploader_name(),
            progress: j.progress,
            counts: j.counts,
            warnings: &j.warnings,
            error: j.error.as_deref(),
            report_available: j.report_key.is_some(),
        }
    }
}
