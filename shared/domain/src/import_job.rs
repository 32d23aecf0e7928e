//! The record of one spreadsheet import, as admins track it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{Actor, ImportJobId, TenantId};

/// How rows that fail are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Valid rows are imported, the rest reported.
    #[default]
    Partial,
    /// Nothing is imported if any row fails.
    AllOrNothing,
    /// A dry run: validate and report, write nothing.
    ValidateOnly,
    /// Rows whose login exists update that user instead of conflicting.
    Upsert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Uploading,
    Queued,
    InProgress,
    Completed,
    CompletedWithErrors,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportCounts {
    pub total: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportJob {
    pub id: ImportJobId,
    pub tenant_id: TenantId,
    pub file_name: String,
    pub mode: ImportMode,
    pub status: ImportStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub uploaded_by: Actor,
    /// 0–100 while running.
    pub progress: u8,
    pub counts: ImportCounts,
    pub warnings: Vec<String>,
    /// A file-level failure (missing column, unreadable file), in words.
    pub error: Option<String>,
    /// Where the uploaded file is (`imports/{tenant}/…`).
    #[serde(default)]
    pub object_key: String,
    /// Data rows already handled: where a continuation resumes.
    #[serde(default)]
    pub next_row: u64,
    /// Optimistic-locking counter: every save checks it, so two workers cannot both advance.
    #[serde(default)]
    pub version: u64,
    /// The error report, once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_key: Option<String>,
    /// The CSV delimiter found in the file, reused for the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_delimiter: Option<u8>,
}

impl ImportStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::CompletedWithErrors | Self::Failed | Self::Cancelled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploading => "uploading",
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::CompletedWithErrors => "completed_with_errors",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl ImportMode {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "partial" => Some(Self::Partial),
            "all_or_nothing" => Some(Self::AllOrNothing),
            "validate_only" => Some(Self::ValidateOnly),
            "upsert" => Some(Self::Upsert),
            _ => None,
        }
    }
}
