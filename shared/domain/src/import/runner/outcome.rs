//! What a job leaves behind: the failed rows of each chunk as JSON parts (so a job that spans
//! invocations keeps them), and at the end the error report in the uploaded file's format,
//! the plain-text report and the summary.

use super::ImportError;
use crate::ids::UserId;
use crate::import::columns::HeaderMap;
use crate::import::files::{ImportFiles, ObjectRef};
use crate::import::job::{ImportJob, ImportStatus};
use crate::import::report::{
    FailedRow, MASK, ReportBody, ReportFormat, ReportWriter, TextEncoding, text_report_line,
};
use crate::import::sheet::FileFormat;
use crate::object_keys;
use crate::upload::UploadedPart;
use crate::validation::FieldError;

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
    put_json(files, &key, &failed).await
}

/// What a job keeps in the bucket between invocations is JSON.
async fn put_json<F: ImportFiles, T: serde::Serialize + ?Sized>(
    files: &F,
    key: &str,
    value: &T,
) -> Result<(), ImportError> {
    let body = serde_json::to_vec(value)?;
    files
        .put(key, body, "application/json")
        .await
        .map_err(ImportError::Bucket)
}

async fn get_json<F: ImportFiles, T: serde::de::DeserializeOwned>(
    files: &F,
    key: &str,
) -> Result<T, ImportError> {
    let bytes = files
        .download(ObjectRef::latest(key))
        .await
        .map_err(ImportError::Bucket)?;
    Ok(serde_json::from_slice(&bytes)?)
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
    put_json(files, &key, created).await
}

/// Every user the job recorded as created.
pub(super) async fn created_users<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
) -> Result<Vec<CreatedUser>, ImportError> {
    let prefix = object_keys::created_parts(&job.tenant_id, &job.id);
    let mut users = Vec::new();
    for key in files.list(&prefix).await.map_err(ImportError::Bucket)? {
        users.extend(get_json::<_, Vec<CreatedUser>>(files, &key).await?);
    }
    Ok(users)
}

/// The duplicate rows of one share of a split job, as the split found them (row number, and
/// why), kept in the bucket for the share's invocations.
pub(super) type ShareDuplicates = Vec<(u64, Vec<FieldError>)>;

pub(super) async fn keep_share_duplicates<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
    share: u32,
    rows: &ShareDuplicates,
) -> Result<(), ImportError> {
    put_json(
        files,
        &object_keys::share_duplicates(&job.tenant_id, &job.id, share),
        rows,
    )
    .await
}

pub(super) async fn share_duplicates<F: ImportFiles>(
    files: &F,
    job: &ImportJob,
    share: u32,
) -> Result<ShareDuplicates, ImportError> {
    get_json(
        files,
        &object_keys::share_duplicates(&job.tenant_id, &job.id, share),
    )
    .await
}

/// Once the job is closed its kept rows and ids have served: they go (the bucket's
/// lifecycle rule removes any a crash leaves behind).
pub(super) async fn drop_kept_rows<F: ImportFiles>(files: &F, job: &ImportJob) {
    let mut keys = Vec::new();
    for prefix in [
        object_keys::report_parts(&job.tenant_id, &job.id),
        object_keys::created_parts(&job.tenant_id, &job.id),
        object_keys::share_duplicates_parts(&job.tenant_id, &job.id),
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

/// Writes both error reports from the kept rows, one kept part at a time, each streamed to
/// the bucket in parts of `part_bytes`: memory stays flat however many rows failed. Records
/// their keys on the job.
pub(super) async fn write_reports<F: ImportFiles>(
    files: &F,
    job: &mut ImportJob,
    map: &HeaderMap,
    part_bytes: usize,
) -> Result<(), ImportError> {
    let mut report = ReportWriter::new(report_format(job), map).map_err(ImportError::Report)?;
    let text_key = object_keys::text_report(&job.tenant_id, &job.id);
    let mut text = StreamedObject::new(files, text_key.clone(), TEXT, part_bytes);
    // A CSV report is streamed as it is written; the other formats once they are complete.
    let mut streamed = match report.format() {
        format @ ReportFormat::Csv { .. } => Some(StreamedObject::new(
            files,
            object_keys::error_report(&job.tenant_id, &job.id, format.extension()),
            format.content_type(),
            part_bytes,
        )),
        _ => None,
    };
    let prefix = object_keys::report_parts(&job.tenant_id, &job.id);
    // Part keys sort by their first row, and each part's rows are sorted: row order.
    for key in files.list(&prefix).await.map_err(ImportError::Bucket)? {
        let bytes = files
            .download(ObjectRef::latest(&key))
            .await
            .map_err(ImportError::Bucket)?;
        for row in serde_json::from_slice::<Vec<FailedRow>>(&bytes)? {
            report.write(&row).map_err(ImportError::Report)?;
            text.write(text_report_line(map, &row).as_bytes()).await?;
            if let Some(out) = &mut streamed
                && let Some(piece) = report.take_ready(part_bytes).map_err(ImportError::Report)?
            {
                out.write(&piece).await?;
            }
        }
    }
    text.finish().await?;
    job.text_report_key = Some(text_key);
    let finished = report.finish().map_err(ImportError::Report)?;
    if let Some(warning) = finished.warning {
        job.warnings.push(warning);
    }
    let key = object_keys::error_report(&job.tenant_id, &job.id, finished.format.extension());
    let mut out = streamed.unwrap_or_else(|| {
        StreamedObject::new(
            files,
            key.clone(),
            finished.format.content_type(),
            part_bytes,
        )
    });
    match finished.body {
        ReportBody::Bytes(bytes) => out.write(&bytes).await?,
        ReportBody::Workbook(workbook) => save_workbook(workbook, &mut out, part_bytes).await?,
    }
    out.finish().await?;
    job.report_key = Some(key);
    Ok(())
}

const TEXT: &str = "text/plain; charset=utf-8";

/// Saves an XLSX workbook into `out` as the zip is produced (on a blocking thread, handing
/// over `part_bytes` at a time): the file is never whole in memory.
async fn save_workbook<F: ImportFiles>(
    mut workbook: Box<rust_xlsxwriter::Workbook>,
    out: &mut StreamedObject<'_, F>,
    part_bytes: usize,
) -> Result<(), ImportError> {
    let (sender, mut pieces) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
    let saving = tokio::task::spawn_blocking(move || {
        let mut writer = ChannelWriter {
            sender,
            buffer: Vec::new(),
            piece_bytes: part_bytes,
        };
        workbook.save_to_writer(&mut writer)?;
        writer.send()?;
        Ok::<_, rust_xlsxwriter::XlsxError>(())
    });
    while let Some(piece) = pieces.recv().await {
        out.write(&piece).await?;
    }
    saving
        .await
        .map_err(|e| ImportError::Report(e.to_string()))?
        .map_err(|e| ImportError::Report(e.to_string()))
}

/// A `Write` that sends what it is given, `piece_bytes` at a time, to an async receiver.
struct ChannelWriter {
    sender: tokio::sync::mpsc::Sender<Vec<u8>>,
    buffer: Vec<u8>,
    piece_bytes: usize,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.sender
            .blocking_send(std::mem::take(&mut self.buffer))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "upload stopped"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= self.piece_bytes {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An object written as its bytes come: one PUT when they fit one part, else a multipart
/// upload of `part_bytes` parts.
struct StreamedObject<'a, F> {
    files: &'a F,
    key: String,
    content_type: &'static str,
    part_bytes: usize,
    buffer: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<UploadedPart>,
}

impl<'a, F: ImportFiles> StreamedObject<'a, F> {
    fn new(files: &'a F, key: String, content_type: &'static str, part_bytes: usize) -> Self {
        Self {
            files,
            key,
            content_type,
            part_bytes,
            buffer: Vec::new(),
            upload_id: None,
            parts: Vec::new(),
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ImportError> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= self.part_bytes {
            self.send_part().await?;
        }
        Ok(())
    }

    async fn send_part(&mut self) -> Result<(), ImportError> {
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let id = self
                    .files
                    .start_upload(&self.key, self.content_type)
                    .await
                    .map_err(ImportError::Bucket)?;
                self.upload_id = Some(id.clone());
                id
            }
        };
        let number = self.parts.len() as i32 + 1;
        let bytes = std::mem::take(&mut self.buffer);
        let etag = self
            .files
            .upload_part(&self.key, &upload_id, number, bytes)
            .await
            .map_err(ImportError::Bucket)?;
        self.parts.push(UploadedPart { number, etag });
        Ok(())
    }

    async fn finish(mut self) -> Result<(), ImportError> {
        let Some(upload_id) = self.upload_id.clone() else {
            return self
                .files
                .put(&self.key, self.buffer, self.content_type)
                .await
                .map_err(ImportError::Bucket);
        };
        if !self.buffer.is_empty() {
            self.send_part().await?;
        }
        self.files
            .complete_upload(&self.key, &upload_id, &self.parts)
            .await
            .map_err(ImportError::Bucket)
    }
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
