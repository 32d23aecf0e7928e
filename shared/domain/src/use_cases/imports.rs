//! Use cases of the imports API: create a job with an upload link, track, cancel, report.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::caller::{Caller, Permission};
use crate::error::AppError;
use crate::ids::ImportJobId;
use crate::import::files::{ContinueJob, ImportFiles};
use crate::import::job::{ImportJob, ImportMode, ImportStatus, Uploader};
use crate::store::{ImportJobStore, ImportShareStore, StoreError};
use crate::validation::ValidationErrors;

/// The widest range a job listing may cover.
pub const MAX_RANGE_DAYS: i64 = 16;

/// `POST /v1/imports` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewImport {
    pub file_name: String,
    pub mode: Option<String>,
}

fn check_file_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= 200
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    let lower = name.to_ascii_lowercase();
    let known = [".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods"]
        .iter()
        .any(|e| lower.ends_with(e));
    if !ok {
        return Err(AppError::bad_field(
            "file_name",
            "must be 1 to 200 characters, without / or \\",
        ));
    }
    if !known {
        return Err(AppError::bad_field(
            "file_name",
            "must end in .csv, .tsv, .txt, .xlsx, .xlsm, .xls or .ods",
        ));
    }
    Ok(name.to_owned())
}

/// Creates a job waiting for its file, and the link to upload it with (PUT, 15 minutes).
pub async fn create_import<S: ImportJobStore, F: ImportFiles>(
    store: &S,
    files: &F,
    caller: &Caller,
    new: NewImport,
) -> Result<(ImportJob, String), AppError> {
    caller.require(Permission::Import)?;
    let file_name = check_file_name(&new.file_name)?;
    let mode = match new.mode.as_deref() {
        None => ImportMode::Partial,
        Some(raw) => ImportMode::parse(raw).ok_or_else(|| {
            AppError::bad_field(
                "mode",
                "must be partial, all_or_nothing, validate_only or upsert",
            )
        })?,
    };
    let id = ImportJobId::generate();
    let job = ImportJob::new(
        id,
        caller.tenant.clone(),
        file_name.clone(),
        crate::object_keys::job_upload(&caller.tenant, &id, &file_name),
        mode,
        Uploader {
            actor: caller.actor.clone(),
            name: caller.name.clone(),
            claimed_by: None,
        },
    );
    store.create_job(&job).await?;
    let url = files
        .upload_link(&job.object_key)
        .await
        .map_err(AppError::Internal)?;
    Ok((job, url))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JobSort {
    FileName,
    #[default]
    UploadedAt,
    UploadedBy,
    Status,
}

/// Which jobs to list and how to order them.
#[derive(Debug, Clone, Default)]
pub struct ImportQuery {
    /// Uploaded at or after (default: 16 days before `to`).
    pub from: Option<OffsetDateTime>,
    /// Uploaded before (default: now).
    pub to: Option<OffsetDateTime>,
    pub sort: JobSort,
    /// Default: newest first when sorted by upload time, else ascending.
    pub descending: Option<bool>,
}

/// Jobs uploaded in a range of at most 16 days (default: the last 16), sorted as asked.
pub async fn list_imports<S: ImportJobStore + ImportShareStore>(
    store: &S,
    caller: &Caller,
    query: &ImportQuery,
) -> Result<Vec<ImportJob>, AppError> {
    let to = query
        .to
        .unwrap_or_else(|| OffsetDateTime::now_utc() + Duration::milliseconds(1));
    let from = query
        .from
        .unwrap_or_else(|| to - Duration::days(MAX_RANGE_DAYS));
    if from >= to {
        return Err(AppError::bad_field("from", "must be before to"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(AppError::bad_field(
            "to",
            format!("the range may cover at most {MAX_RANGE_DAYS} days"),
        ));
    }
    let sort = query.sort;
    let descending = query.descending.unwrap_or(sort == JobSort::UploadedAt);
    let mut jobs = store.list_jobs(&caller.tenant, from, to).await?;
    for job in &mut jobs {
        show_shares(store, job).await?;
    }
    jobs.sort_by(|a, b| {
        let primary = match sort {
            JobSort::FileName => a.file_name.to_lowercase().cmp(&b.file_name.to_lowercase()),
            JobSort::UploadedAt => a.uploaded_at.cmp(&b.uploaded_at),
            JobSort::UploadedBy => a
                .uploader_name()
                .to_lowercase()
                .cmp(&b.uploader_name().to_lowercase()),
            JobSort::Status => a.status.as_str().cmp(b.status.as_str()),
        };
        primary.then(a.uploaded_at.cmp(&b.uploaded_at))
    });
    if descending {
        jobs.reverse();
    }
    Ok(jobs)
}

pub async fn get_import<S: ImportJobStore>(
    store: &S,
    caller: &Caller,
    id: &ImportJobId,
) -> Result<ImportJob, AppError> {
    store
        .get_job(&caller.tenant, id)
        .await?
        .ok_or(AppError::NotFound("import job"))
}

/// The job as an admin tracks it: a job split across workers shows the rows its shares
/// have handled so far (its own record is merged only at the end).
pub async fn track_import<S: ImportJobStore + ImportShareStore>(
    store: &S,
    caller: &Caller,
    id: &ImportJobId,
) -> Result<ImportJob, AppError> {
    let mut job = get_import(store, caller, id).await?;
    show_shares(store, &mut job).await?;
    Ok(job)
}

async fn show_shares<S: ImportShareStore>(store: &S, job: &mut ImportJob) -> Result<(), AppError> {
    if job.shares == 0 || job.status != ImportStatus::InProgress {
        return Ok(());
    }
    let mut shares = Vec::with_capacity(job.shares as usize);
    for k in 0..job.shares {
        shares.extend(store.get_share(&job.tenant_id, &job.id, k).await?);
    }
    job.show_progress_of(&shares);
    Ok(())
}

/// Cancels a job that has not finished; the worker stops at its next chunk.
pub async fn cancel_import<S: ImportJobStore>(
    store: &S,
    caller: &Caller,
    id: &ImportJobId,
) -> Result<ImportJob, AppError> {
    caller.require(Permission::Import)?;
    for _ in 0..5 {
        let mut job = get_import(store, caller, id).await?;
        if job.status.is_terminal() {
            return Err(AppError::Conflict {
                message: format!("the job is already {}", job.status.as_str()),
                fields: vec![],
            });
        }
        let expected = job.version;
        job.status = ImportStatus::Cancelled;
        job.version += 1;
        match store.save_job(expected, &job).await {
            Ok(()) => return Ok(job),
            Err(StoreError::VersionMismatch) => continue, // the worker saved progress; retry
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Throttled)
}

/// A 15-minute download link to the job's error report: in the uploaded file's format, or
/// with `format=txt` as plain text (one line per failed row).
pub async fn report_link<S: ImportJobStore, F: ImportFiles>(
    store: &S,
    files: &F,
    caller: &Caller,
    id: &ImportJobId,
    format: Option<&str>,
) -> Result<String, AppError> {
    let text = match format.map(str::trim) {
        None | Some("") => false,
        Some("txt") => true,
        Some(_) => {
            return Err(AppError::bad_field(
                "format",
                "must be txt, or absent for the report in the uploaded file's format",
            ));
        }
    };
    // A report holds rows of every department: not for a manager of some of them.
    if !caller.can_read(None) {
        return Err(AppError::Forbidden(
            "an error report holds users of every department: only admins and analysts read it"
                .into(),
        ));
    }
    let job = get_import(store, caller, id).await?;
    let key = if text {
        job.text_report_key
    } else {
        job.report_key
    };
    let key = key.ok_or(AppError::NotFound("error report"))?;
    files.download_link(&key).await.map_err(AppError::Internal)
}

/// `POST /v1/imports/{id}/proceed` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proceed {
    pub mode: String,
}

/// Seed 003's Proceed: a finished `validate_only` job imports the very file version it
/// validated, in `partial`, `all_or_nothing` or `upsert`. The job's version check makes a
/// second proceed (or a racing one) a 409, so the file is imported once.
pub async fn proceed_import<S: ImportJobStore, C: ContinueJob>(
    store: &S,
    continuation: &C,
    caller: &Caller,
    id: &ImportJobId,
    body: Proceed,
) -> Result<ImportJob, AppError> {
    caller.require(Permission::Import)?;
    let mode = match ImportMode::parse(&body.mode) {
        Some(mode @ (ImportMode::Partial | ImportMode::AllOrNothing | ImportMode::Upsert)) => mode,
        _ => {
            return Err(ValidationErrors::single(
                "mode",
                "must be partial, all_or_nothing or upsert",
            )
            .into());
        }
    };
    for _ in 0..5 {
        let before = get_import(store, caller, id).await?;
        if !before.may_proceed() {
            return Err(AppError::Conflict {
                message: format!(
                    "only a finished validate_only job can proceed; this one is a {} job, {}",
                    before.mode.as_str(),
                    before.status.as_str()
                ),
                fields: vec![],
            });
        }
        let mut job = before.clone();
        job.proceed(mode);
        job.version += 1;
        match store.save_job(before.version, &job).await {
            Ok(()) => {}
            Err(StoreError::VersionMismatch) => continue,
            Err(e) => return Err(e.into()),
        }
        if let Err(e) = continuation
            .continue_job(&job.tenant_id, &job.id, None)
            .await
        {
            // Nobody would run it: put the dry run back so the admin can try again.
            let mut back = before;
            back.version = job.version + 1;
            let _ = store.save_job(job.version, &back).await;
            return Err(AppError::Internal(format!(
                "the job could not be queued: {e}"
            )));
        }
        tracing::info!(job_id = %job.id, "validated import proceeds");
        return Ok(job);
    }
    Err(AppError::Throttled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_checked() {
        assert!(check_file_name("users.xlsx").is_ok());
        assert!(check_file_name("New hires (Zürich).CSV").is_ok());
        for bad in ["", "../x.csv", "a/b.csv", "notes.pdf"] {
            assert!(check_file_name(bad).is_err(), "{bad}");
        }
    }
}
