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
}
