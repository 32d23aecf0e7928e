//! What a job leaves behind: the failed rows of each chunk as JSON parts (so a job that spans
//! invocations keeps them), and at the end the error report in the uploaded file's format,
//! the plain-text report and the summary.

use super::ImportError;
use crate::ids::UserId;
use crate::import::columns::HeaderMap;
use crate::import::files::{ImportFiles, ObjectRef};
use crate::import::job::{ImportJob, ImportStatus};
use crate::import::report::{
    FailedRow, MASK, ReportFormat, TextEncoding, write_report, write_text_report,
};
use crate::import::sheet::FileFormat;
use crate::object_keys;

/// Keeps one chunk's failed rows (sorted, passwords masked) until the report is written:
/// no password reaches the bucket, not even for the life of a job.
pub(super) async fn keep_failed_rows<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
    mut failed: Vec<FailedRow>,
    password_column: Option<usize>,
) -> Result<(), ImportError> {
    if failed.is_empty() {
        return Ok(());
    }
    if let Some(at) = password_column {
        for row in &mut failed {
            if let Some(cell) = row.cells.get_mut(at)
                && !cell.is_empty()
            {
                *cell = MASK.to_owned();
            }
        }
    }
    failed.sort_by_key(|f| f.number);
    let key = object_keys::report_part(&job.tenant_id, &job.id, failed[0].number);
    let body = serde_json::to_vec(&failed)?;
    files
        .put(&key, body, "application/json")
        .await
        .map_err(ImportError::Bucket)
}

/// Every failed row the job kept, in row order.
async fn failed_rows<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
) -> Result<Vec<FailedRow>, ImportError> {
    let prefix = object_keys::report_parts(&job.tenant_id, &job.id);
    let mut rows: Vec<FailedRow> = Vec::new();
    for key in files.list(&prefix).await.map_err(ImportError::Bucket)? {
        let bytes = files
            .download(ObjectRef::latest(&key))
            .await
            .map_err(ImportError::Bucket)?;
        rows.extend(serde_json::from_slice::<Vec<FailedRow>>(&bytes)?);
    }
    rows.sort_by_key(|r| r.number);
    Ok(rows)
}

/// A user an `all_or_nothing` job created: undone on a late failure or a cancel, welcomed
/// once the job commits.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CreatedUser {
    pub id: UserId,
    pub send_text: bool,
}

/// Keeps the ids of the users one chunk (ending at `next_row`) created.
pub(super) async fn keep_created<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
    next_row: u64,
    created: &[CreatedUser],
) -> Result<(), ImportError> {
    if created.is_empty() {
        return Ok(());
    }
    let key = object_keys::created_part(&job.tenant_id, &job.id, next_row);
    files
        .put(&key, serde_json::to_vec(created)?, "application/json")
        .await
        .map_err(ImportError::Bucket)
}

/// Every user the job recorded as created.
pub(super) async fn created_users<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
) -> Result<Vec<CreatedUser>, ImportError> {
    let prefix = object_keys::created_parts(&job.tenant_id, &job.id);
    let mut users = Vec::new();
    for key in files.list(&prefix).await.map_err(ImportError::Bucket)? {
        let bytes = files
            .download(ObjectRef::latest(&key))
            .await
            .map_err(ImportError::Bucket)?;
        users.extend(serde_json::from_slice::<Vec<CreatedUser>>(&bytes)?);
    }
    Ok(users)
}

/// Once the job is closed its kept rows and ids have served: they go (the bucket's
/// lifecycle rule removes any a crash leaves behind).
pub(super) async fn drop_kept_rows<F: ImportFiles>(files: &F, job: &ImportJob) {
    let mut keys = Vec::new();
    for prefix in [
        object_keys::report_parts(&job.tenant_id, &job.id),
        object_keys::created_parts(&job.tenant_id, &job.id),
    ] {
        match files.list(&prefix).await {
            Ok(found) => keys.extend(found),
            Err(e) => tracing::warn!(job_id = %job.id, error = %e, "kept rows not listed"),
        }
    }
    if !keys.is_empty()
        && let Err(e) = files.delete(&keys).await
    {
        tracing::warn!(job_id = %job.id, error = %e, "kept rows not deleted");
    }
}

/// A job starting from the top (a new job, or a proceeded dry run) drops the report files of
/// any earlier run, so the report it writes holds only its own rows.
pub(super) async fn clear_reports<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
) -> Result<(), ImportError> {
    let old = files
        .list(&object_keys::job_reports(&job.tenant_id, &job.id))
        .await
        .map_err(ImportError::Bucket)?;
    if old.is_empty() {
        return Ok(());
    }
    files.delete(&old).await.map_err(ImportError::Bucket)
}

/// The format of the uploaded file (a CSV keeps its delimiter and encoding).
fn report_format(job: &ImportJob) -> ReportFormat {
    match (job.csv_delimiter, FileFormat::from_name(&job.object_key)) {
        (Some(delimiter), _) => ReportFormat::Csv {
            delimiter,
            encoding: job
                .csv_encoding
                .as_deref()
                .map(TextEncoding::from_name)
                .unwrap_or_default(),
        },
        (None, FileFormat::Xls) => ReportFormat::Xls,
        (None, FileFormat::Ods) => ReportFormat::Ods,
        (None, _) => ReportFormat::Xlsx,
    }
}

/// The report in the uploaded file's format; as XLSX (with a warning saying why) when the
/// rows do not fit an `.xls` sheet.
fn render_report(
    job: &mut ImportJob,
    map: &HeaderMap,
    rows: &[FailedRow],
) -> Result<(ReportFormat, Vec<u8>), ImportError> {
    let format = report_format(job);
    match write_report(format, map, rows) {
        Ok(bytes) => Ok((format, bytes)),
        Err(why) if format == ReportFormat::Xls => {
            job.warnings
                .push(format!("the error report is an .xlsx file: {why}"));
            let bytes = write_report(ReportFormat::Xlsx, map, rows).map_err(ImportError::Report)?;
            Ok((ReportFormat::Xlsx, bytes))
        }
        Err(why) => Err(ImportError::Report(why)),
    }
}

/// Writes both error reports from the kept rows and records their keys on the job.
pub(super) async fn write_reports<F: ImportFiles>(
    files: &F,
    job: &mut ImportJob,
    map: &HeaderMap,
) -> Result<(), ImportError> {
    let rows = failed_rows(files, job).await?;
    let (format, bytes) = render_report(job, map, &rows)?;
    let key = object_keys::error_report(&job.tenant_id, &job.id, format.extension());
    files
        .put(&key, bytes, format.content_type())
        .await
        .map_err(ImportError::Bucket)?;
    job.report_key = Some(key);
    let text_key = object_keys::text_report(&job.tenant_id, &job.id);
    files
        .put(
            &text_key,
            write_text_report(map, &rows).into_bytes(),
            "text/plain; charset=utf-8",
        )
        .await
        .map_err(ImportError::Bucket)?;
    job.text_report_key = Some(text_key);
    Ok(())
}

/// The summary object next to the reports, for tools that watch the bucket.
pub(super) async fn write_summary<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
    status: ImportStatus,
) -> Result<(), ImportError> {
    let summary = serde_json::json!({
        "job_id": job.id, "file_name": job.file_name, "mode": job.mode,
        "status": status, "counts": job.counts, "warnings": job.warnings,
        "report": job.report_key, "text_report": job.text_report_key,
    });
    files
        .put(
            &object_keys::summary(&job.tenant_id, &job.id),
            summary.to_string().into_bytes(),
            "application/json",
        )
        .await
        .map_err(ImportError::Bucket)
}
