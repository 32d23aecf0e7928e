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

/// Every data row ends in exactly one of created, updated, skipped (a duplicate inside the
/// file), failed (invalid) or conflicts (its login or e-mail belongs to an existing user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportCounts {
    pub total: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub failed: u64,
    #[serde(default)]
    pub conflicts: u64,
}

impl ImportCounts {
    /// Rows that were not imported, for whatever reason.
    pub fn problems(&self) -> u64 {
        self.failed + self.skipped + self.conflicts
    }
}

/// Who uploaded a file: the identity kept for audit, and the name lists show and sort by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploader {
    pub actor: Actor,
    pub name: String,
    /// Who the object's metadata says uploaded it (`x-amz-meta-uploaded-by`): kept beside the
    /// S3 principal, never in its place, since anyone who may drop a file may write it.
    pub claimed_by: Option<String>,
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
    /// The uploader's display name (claims `name`, else `email`, else `sub`; for drops the
    /// metadata or the S3 principal).
    #[serde(default)]
    pub uploaded_by_name: String,
    /// For drops: the uploader the object's metadata claims (not verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded_by_claimed: Option<String>,
    /// 0–100 while running.
    pub progress: u8,
    pub counts: ImportCounts,
    pub warnings: Vec<String>,
    /// A file-level failure (missing column, unreadable file), in words.
    pub error: Option<String>,
    /// Where the uploaded file is (`imports/{tenant}/…`).
    #[serde(default)]
    pub object_key: String,
    /// The S3 version of the file this job reads, pinned when the upload was claimed: a
    /// continuation or a proceed reads that version, never whatever now sits at the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_version: Option<String>,
    /// Data rows already handled: where a continuation resumes.
    #[serde(default)]
    pub next_row: u64,
    /// Optimistic-locking counter: every save checks it, so two workers cannot both advance.
    #[serde(default)]
    pub version: u64,
    /// The error report, once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_key: Option<String>,
    /// The same report as plain text (one line per failed row), once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_report_key: Option<String>,
    /// The CSV delimiter found in the file, reused for the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_delimiter: Option<u8>,
    /// The CSV's text encoding (`windows-1252`, `UTF-16LE`…), reused for the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_encoding: Option<String>,
    /// The invocation running the job and until when it holds it: renewed at every
    /// checkpoint, released at a hand-over or an error. An expired lease means its worker died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// Invocations of this job that died or failed (an expired lease taken over, an error
    /// released): past [`MAX_INTERRUPTIONS`] the job fails instead of running again.
    #[serde(default)]
    pub interruptions: u32,
    /// Where an `all_or_nothing` job stands (checking, writing, undoing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// On a job split across workers: how many shares it has (0: run as one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shares: u32,
    /// Set on a share's own record: which rows of the file it imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<Share>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One worker's part of a job split across workers: the data rows from the share's first
/// `next_row` up to `end_row`. A share is stored as a job record of its own (same id, its
/// own key), so it claims, checkpoints and hands over like any job, and no two workers ever
/// save the same record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub index: u32,
    /// The data row after the share's last one.
    pub end_row: u64,
    /// What the split found before the share started (absent on shares split before plans
    /// existed: those read every row before theirs again, to find duplicates themselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<SharePlan>,
}

/// Found by reading the whole file once before a job is split, so that each share reads
/// only its own rows and still tells duplicates of any earlier row of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharePlan {
    /// Where the share's first row starts in the file. Absent when the file's bytes are not
    /// the text that was read (not UTF-8, or with bytes decoding replaced): the share then
    /// reads from the top and skips the rows before its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<RecordStart>,
    /// How many of the share's rows repeat an earlier row (their errors are in the bucket).
    pub duplicates: u64,
}

/// Where a CSV record starts: its byte in the file, and its row number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordStart {
    pub byte: u64,
    pub row: u64,
}

/// Splits `total` data rows into at most `max_shares` ranges of at least `min_rows` each
/// (a single range when the file is too small to be worth splitting).
pub fn split_rows(total: u64, max_shares: u32, min_rows: u64) -> Vec<std::ops::Range<u64>> {
    let by_size = (total / min_rows.max(1)).max(1);
    let count = by_size.min(u64::from(max_shares.max(1)));
    (0..count)
        .map(|k| (total * k / count)..(total * (k + 1) / count))
        .collect()
}

/// How often a job may die or fail before it is failed for good.
pub const MAX_INTERRUPTIONS: u32 = 3;

/// An invocation's hold on a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The invocation's own random id.
    pub owner: String,
    /// Epoch milliseconds after which the lease is void.
    pub until_ms: i64,
}

/// The stages of an `all_or_nothing` job: every row is checked before any is written, and
/// a write pass that meets a late failure (or a cancel) undoes what it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Checking,
    Writing,
    Undoing,
}

/// What an invocation may do with a job it was handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Taken (lease set, status `in_progress`): save it on its version, then run it.
    Take,
    /// Another invocation holds a live lease: it will finish the job (or its lease expires).
    Busy,
    /// Nothing left to do.
    Finished,
    /// The job died too often: fail it with this message.
    GiveUp(String),
}

/// Epoch milliseconds now.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl ImportJob {
    /// A job for the file at `object_key`, waiting for its upload, uploaded now.
    pub fn new(
        id: ImportJobId,
        tenant_id: TenantId,
        file_name: String,
        object_key: String,
        mode: ImportMode,
        uploader: Uploader,
    ) -> Self {
        Self {
            id,
            tenant_id,
            file_name,
            mode,
            status: ImportStatus::Uploading,
            uploaded_at: crate::user::now_utc_millis(),
            uploaded_by: uploader.actor,
            uploaded_by_name: uploader.name,
            uploaded_by_claimed: uploader.claimed_by,
            progress: 0,
            counts: ImportCounts::default(),
            warnings: vec![],
            error: None,
            object_key,
            object_version: None,
            next_row: 0,
            version: 0,
            report_key: None,
            text_report_key: None,
            csv_delimiter: None,
            csv_encoding: None,
            lease: None,
            interruptions: 0,
            stage: None,
            shares: 0,
            share: None,
        }
    }

    /// The record of share `index` of this job, covering `rows`, not yet claimed.
    pub fn share_record(
        &self,
        index: u32,
        rows: std::ops::Range<u64>,
        plan: Option<SharePlan>,
    ) -> ImportJob {
        ImportJob {
            status: ImportStatus::InProgress,
            progress: 0,
            counts: ImportCounts {
                total: rows.end - rows.start,
                ..ImportCounts::default()
            },
            warnings: vec![],
            error: None,
            next_row: rows.start,
            version: 0,
            report_key: None,
            text_report_key: None,
            lease: None,
            interruptions: 0,
            stage: None,
            shares: 0,
            share: Some(Share {
                index,
                end_row: rows.end,
                plan,
            }),
            ..self.clone()
        }
    }

    /// The first data row this record imports (a share's start, else the file's).
    pub fn first_row(&self) -> u64 {
        self.share
            .map_or(0, |s| s.end_row.saturating_sub(self.counts.total))
    }

    /// The share index of a share's record (`None` for the job itself).
    pub fn share_index(&self) -> Option<u32> {
        self.share.map(|s| s.index)
    }

    /// Whether a worker still has something to do: a running job, or a cancelled
    /// `all_or_nothing` job whose users are being removed.
    pub fn has_work(&self) -> bool {
        !self.status.is_terminal() || self.owes_undo()
    }

    /// A cancelled all_or_nothing job whose write pass had begun: its users must go again.
    pub fn owes_undo(&self) -> bool {
        self.status == ImportStatus::Cancelled
            && matches!(self.stage, Some(Stage::Writing | Stage::Undoing))
    }

    /// Tries to take the job for the invocation `owner` at `now_ms`, holding it `lease_ms`.
    /// An expired lease that was never released counts as an interruption (its worker died).
    pub fn claim(&mut self, owner: &str, now_ms: i64, lease_ms: i64) -> Claim {
        if !self.has_work() {
            return Claim::Finished;
        }
        if self.status == ImportStatus::Uploading {
            return Claim::Busy;
        }
        match &self.lease {
            // Given back (a hand-over, an error): free for the next invocation.
            Some(lease) if lease.owner.is_empty() || lease.owner == owner => {}
            Some(lease) if lease.until_ms > now_ms => return Claim::Busy,
            Some(_) => self.interruptions += 1,
            None => {}
        }
        if self.interruptions > MAX_INTERRUPTIONS {
            return Claim::GiveUp(format!(
                "the import stopped unexpectedly {} times (the file may be too large or too complex for one run); rows imported so far are kept: fix the file and upload the remaining rows",
                self.interruptions
            ));
        }
        if !self.status.is_terminal() {
            self.status = ImportStatus::InProgress;
        }
        self.lease = Some(Lease {
            owner: owner.to_owned(),
            until_ms: now_ms + lease_ms,
        });
        Claim::Take
    }

    /// Whether `owner` holds a lease on the job.
    pub fn held_by(&self, owner: &str) -> bool {
        self.lease.as_ref().is_some_and(|l| l.owner == owner)
    }

    /// The name lists show: the stored display name, or the identity for older jobs.
    pub fn uploader_name(&self) -> &str {
        if self.uploaded_by_name.is_empty() {
            self.uploaded_by.as_str()
        } else {
            &self.uploaded_by_name
        }
    }

    /// Whether this is a finished dry run that an admin may proceed with.
    pub fn may_proceed(&self) -> bool {
        self.mode == ImportMode::ValidateOnly
            && matches!(
                self.status,
                ImportStatus::Completed | ImportStatus::CompletedWithErrors
            )
    }

    /// Turns a finished dry run into a real import of the same file in `mode`: counts,
    /// checkpoint and report start afresh; the runner picks it up from `queued`.
    pub fn proceed(&mut self, mode: ImportMode) {
        self.mode = mode;
        self.status = ImportStatus::Queued;
        self.progress = 0;
        self.counts = ImportCounts::default();
        self.warnings.clear();
        self.error = None;
        self.next_row = 0;
        self.report_key = None;
        self.text_report_key = None;
        self.lease = None;
        self.interruptions = 0;
        self.stage = None;
        self.shares = 0;
    }

    /// A running split job as admins see it: the counts its shares have checkpointed, and
    /// the share of rows handled (never 100 before the merge).
    pub fn show_progress_of(&mut self, shares: &[ImportJob]) {
        let total = self.counts.total;
        let mut handled = 0;
        self.counts = ImportCounts {
            total,
            ..ImportCounts::default()
        };
        for share in shares {
            handled += share.next_row - share.first_row();
            self.add_counts(&share.counts);
        }
        self.progress = ((handled * 100 / total.max(1)).min(99)) as u8;
    }

    fn add_counts(&mut self, c: &ImportCounts) {
        self.counts.created += c.created;
        self.counts.updated += c.updated;
        self.counts.skipped += c.skipped;
        self.counts.failed += c.failed;
        self.counts.conflicts += c.conflicts;
    }

    /// What a job split across workers adds up to once every share has finished: the
    /// shares' counts and warnings on the job, and `Err` with the reason a share failed.
    /// `None` while a share still has work.
    pub fn merge_shares(&mut self, shares: &[ImportJob]) -> Option<Result<(), String>> {
        if shares.len() != self.shares as usize || shares.iter().any(ImportJob::has_work) {
            return None;
        }
        let total = self.counts.total;
        self.counts = ImportCounts {
            total,
            ..ImportCounts::default()
        };
        for share in shares {
            self.add_counts(&share.counts);
            self.warnings.extend(share.warnings.iter().cloned());
        }
        self.next_row = total;
        // Rows a failed share did write stay counted; the job fails with its reason.
        match shares.iter().find(|s| s.status == ImportStatus::Failed) {
            Some(failed) => Some(Err(failed.error.clone().unwrap_or_default())),
            None => Some(Ok(())),
        }
    }
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
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partial => "partial",
            Self::AllOrNothing => "all_or_nothing",
            Self::ValidateOnly => "validate_only",
            Self::Upsert => "upsert",
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn running() -> ImportJob {
        let mut job = ImportJob::new(
            ImportJobId::generate(),
            TenantId::parse("acme").unwrap(),
            "a.csv".into(),
            "imports/acme/a.csv".into(),
            ImportMode::Partial,
            Uploader {
                actor: Actor::new("s3"),
                name: "s3".into(),
                claimed_by: None,
            },
        );
        job.status = ImportStatus::InProgress;
        job
    }

    #[test]
    fn a_live_lease_keeps_others_out_and_an_expired_one_counts_as_a_death() {
        let mut job = running();
        assert_eq!(job.claim("a", 1_000, 500), Claim::Take);
        assert_eq!(job.claim("b", 1_499, 500), Claim::Busy);
        assert_eq!(job.claim("a", 1_499, 500), Claim::Take, "the holder renews");
        assert_eq!(job.interruptions, 0);
        assert_eq!(job.claim("b", 2_000, 500), Claim::Take);
        assert_eq!(job.interruptions, 1);
        assert!(job.held_by("b"));
    }

    #[test]
    fn a_released_lease_is_taken_without_counting_and_dying_too_often_gives_up() {
        let mut job = running();
        job.lease = Some(Lease {
            owner: String::new(),
            until_ms: 1_000,
        });
        assert_eq!(
            job.claim("a", 0, 10),
            Claim::Take,
            "a given-back lease is free"
        );
        assert_eq!(job.interruptions, 0);
        for n in 1..=MAX_INTERRUPTIONS {
            assert_eq!(
                job.claim(&format!("x{n}"), i64::from(n) * 100, 10),
                Claim::Take
            );
        }
        assert!(matches!(job.claim("last", 10_000, 10), Claim::GiveUp(_)));
    }

    #[test]
    fn rows_are_split_into_even_ranges_that_cover_the_file_once() {
        assert_eq!(split_rows(10, 4, 100), vec![0..10], "too small to split");
        assert_eq!(
            split_rows(1_000, 4, 100),
            vec![0..250, 250..500, 500..750, 750..1_000]
        );
        assert_eq!(split_rows(250, 8, 100), vec![0..125, 125..250]);
        assert_eq!(split_rows(7, 0, 0), vec![0..7]);
        let ranges = split_rows(1_000_003, 7, 20_000);
        assert_eq!(ranges.len(), 7);
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!((ranges[0].start, ranges[6].end), (0, 1_000_003));
    }

    #[test]
    fn shares_merge_once_all_have_finished_and_a_failed_share_fails_the_job() {
        let mut job = running();
        job.counts.total = 10;
        job.shares = 2;
        let mut a = job.share_record(0, 0..4, None);
        let mut b = job.share_record(1, 4..10, None);
        assert_eq!(
            (b.next_row, b.counts.total, b.share_index()),
            (4, 6, Some(1))
        );
        a.status = ImportStatus::Completed;
        a.counts.created = 3;
        a.counts.skipped = 1;
        assert_eq!(
            job.merge_shares(&[a.clone(), b.clone()]),
            None,
            "b still runs"
        );
        assert_eq!(job.merge_shares(&[a.clone()]), None, "a share is missing");
        b.status = ImportStatus::Completed;
        b.counts.created = 4;
        b.counts.conflicts = 2;
        b.warnings
            .push("2 activation texts could not be requested".into());
        assert_eq!(job.merge_shares(&[a.clone(), b.clone()]), Some(Ok(())));
        assert_eq!(
            job.counts,
            ImportCounts {
                total: 10,
                created: 7,
                updated: 0,
                skipped: 1,
                failed: 0,
                conflicts: 2
            }
        );
        assert_eq!(job.warnings.len(), 1);
        b.status = ImportStatus::Failed;
        b.error = Some("the import stopped unexpectedly 4 times".into());
        assert!(matches!(job.merge_shares(&[a, b]), Some(Err(e)) if e.contains("4 times")));
    }

    #[test]
    fn finished_jobs_are_finished_but_an_undo_after_a_cancel_is_not() {
        let mut job = running();
        job.status = ImportStatus::Cancelled;
        assert_eq!(job.claim("a", 0, 10), Claim::Finished);
        job.stage = Some(Stage::Undoing);
        assert_eq!(job.claim("a", 0, 10), Claim::Take);
        assert_eq!(
            job.status,
            ImportStatus::Cancelled,
            "a cancel stays a cancel"
        );
        job.stage = Some(Stage::Writing);
        assert!(job.owes_undo(), "cancelled between two write invocations");
        job.status = ImportStatus::Failed;
        assert!(!job.has_work(), "a failed job is done");
    }
}
