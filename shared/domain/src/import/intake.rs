//! Intake: an object created under `imports/` becomes a job ready to run.
//!
//! Two ways in: a job created through the API waits (`uploading`) for its file at
//! `imports/{tenant}/{job}/{file}`; a file dropped at `imports/{tenant}/{file}` gets a job of
//! its own, whose id derives from bucket, key and version so a redelivered event finds the job
//! it already made. Either way the job is claimed for the invocation that received the event
//! (`in_progress`, written on its version), so the runner starts without a second claim, and
//! the object's version is pinned on the job: every later read (continuations, a proceed)
//! reads exactly that version.

use super::files::{ImportFiles, ObjectRef, StoredObject};
use super::runner::ImportError;
use crate::ids::{Actor, ImportJobId, TenantId};
use crate::import::job::{Claim, ImportJob, ImportMode, ImportStatus, Uploader, now_ms};
use crate::object_keys::{UploadKey, parse_upload};
use crate::store::{ImportJobStore, StoreError};

/// An object created in the import bucket, as its S3 event describes it.
#[derive(Debug, Clone, Default)]
pub struct UploadedObject {
    pub bucket: String,
    /// The key, already URL-decoded.
    pub key: String,
    pub version_id: Option<String>,
    pub sequencer: Option<String>,
    pub event_time_ms: u64,
    /// The S3 principal that uploaded it.
    pub principal: Option<String>,
}

/// What intake made of an upload.
#[derive(Debug, PartialEq, Eq)]
pub enum Intake {
    /// The job is claimed for this invocation (`in_progress`, leased, saved): run it.
    Run(Box<ImportJob>),
    /// The job exists and has work left (a retry after a failed or dead invocation, or a
    /// redelivered event): claim it the way a continuation does, which resumes it from its
    /// checkpoint unless a live invocation holds it.
    Resume(TenantId, ImportJobId),
    /// Nothing to do, and why.
    Ignored(String),
}

/// FNV-1a: a stable hash, so redeliveries derive the same job id in any release.
fn fnv(seed: u64, text: &str) -> u64 {
    text.bytes().fold(seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The job id of a dropped object: the same for every delivery of the same upload.
pub fn job_id_for(bucket: &str, key: &str, version: &str, event_time_ms: u64) -> ImportJobId {
    let identity = format!("{bucket}\n{key}\n{version}");
    let random = (u128::from(fnv(0xcbf2_9ce4_8422_2325, &identity)) << 64)
        | u128::from(fnv(0x8422_2325_cbf2_9ce4, &identity));
    let ulid = ulid::Ulid::from_parts(event_time_ms, random);
    ImportJobId::parse(&ulid.to_string()).expect("a ULID is a job id")
}

/// The object as the event names it; an event whose version the bucket does not know (a
/// hand-made sample event) reads the latest version, which is then pinned.
async fn head_uploaded<F: ImportFiles>(
    files: &F,
    upload: &UploadedObject,
) -> Result<Option<StoredObject>, ImportError> {
    let named = ObjectRef::pinned(&upload.key, upload.version_id.as_deref());
    match files.head(named).await {
        Ok(Some(object)) => Ok(Some(object)),
        _ if upload.version_id.is_some() => files
            .head(ObjectRef::latest(&upload.key))
            .await
            .map_err(ImportError::Bucket),
        other => other.map_err(ImportError::Bucket),
    }
}

/// Who takes a job at intake: the invocation's lease owner and how long its lease holds.
#[derive(Debug, Clone, Copy)]
pub struct Holder<'a> {
    pub owner: &'a str,
    pub lease_ms: i64,
}

/// Claims the job an uploaded object belongs to (creating it for a drop).
pub async fn accept_upload<S: ImportJobStore, F: ImportFiles>(
    store: &S,
    files: &F,
    upload: &UploadedObject,
    holder: Holder<'_>,
) -> Result<Intake, ImportError> {
    let target = match parse_upload(&upload.key) {
        Ok(t) => t,
        Err(why) => return Ok(Intake::Ignored(why)),
    };
    let Some(object) = head_uploaded(files, upload).await? else {
        return Ok(Intake::Ignored("the uploaded object is gone".into()));
    };
    match target {
        UploadKey::ForJob { tenant, job, .. } => {
            let Some(existing) = store.get_job(&tenant, &job).await? else {
                return Ok(Intake::Ignored("an upload for an unknown job".into()));
            };
            if existing.object_key != upload.key {
                return Ok(Intake::Ignored("an upload under another job's name".into()));
            }
            if existing.status != ImportStatus::Uploading {
                return Ok(if existing.has_work() {
                    Intake::Resume(tenant, job)
                } else {
                    Intake::Ignored("a duplicate upload event: the job has finished".into())
                });
            }
            let mut claimed = existing.clone();
            claimed.status = ImportStatus::InProgress;
            claimed.object_version = object.version_id;
            if claimed.claim(holder.owner, now_ms(), holder.lease_ms) != Claim::Take {
                return Ok(Intake::Ignored("the job cannot be claimed".into()));
            }
            claimed.version += 1;
            match store.save_job(existing.version, &claimed).await {
                Ok(()) => Ok(Intake::Run(Box::new(claimed))),
                Err(StoreError::VersionMismatch) => {
                    Ok(Intake::Ignored("another delivery claimed the job".into()))
                }
                Err(e) => Err(e.into()),
            }
        }
        UploadKey::Dropped { tenant, file_name } => {
            let version = upload
                .version_id
                .clone()
                .or_else(|| upload.sequencer.clone())
                .unwrap_or_default();
            let id = job_id_for(&upload.bucket, &upload.key, &version, upload.event_time_ms);
            let mode = dropped_mode(&object);
            let mut job = ImportJob::new(
                id,
                tenant.clone(),
                file_name,
                upload.key.clone(),
                mode.clone().unwrap_or_default(),
                dropper(&object, upload),
            );
            job.status = ImportStatus::InProgress;
            job.claim(holder.owner, now_ms(), holder.lease_ms);
            if let Err(refusal) = &mode {
                job.lease = None;
                // A mode nobody asked for is not guessed: the job fails, saying why.
                job.status = ImportStatus::Failed;
                job.error = Some(refusal.clone());
            }
            job.object_version = object.version_id;
            job.uploaded_at = time::OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(upload.event_time_ms) * 1_000_000,
            )
            .unwrap_or(job.uploaded_at);
            match store.create_job(&job).await {
                Ok(()) if job.status == ImportStatus::Failed => {
                    tracing::warn!(job_id = %id, key = %upload.key, "dropped file refused: bad x-amz-meta-mode");
                    Ok(Intake::Ignored(
                        "the file's import mode is not valid".into(),
                    ))
                }
                Ok(()) => {
                    tracing::info!(job_id = %id, key = %upload.key, "import job created from a dropped file");
                    Ok(Intake::Run(Box::new(job)))
                }
                Err(StoreError::AlreadyExists) => Ok(Intake::Resume(tenant, id)),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// `x-amz-meta-mode`, `partial` when there is none; a value that is not a mode is refused,
/// named (a typo must not import in a mode nobody chose).
fn dropped_mode(object: &StoredObject) -> Result<ImportMode, String> {
    match object.metadata.get("mode").map(|m| m.trim()) {
        None | Some("") => Ok(ImportMode::default()),
        Some(raw) => ImportMode::parse(raw).ok_or_else(|| {
            format!(
                "x-amz-meta-mode '{}' is not an import mode: use partial, all_or_nothing, upsert or validate_only",
                raw.chars().take(40).collect::<String>()
            )
        }),
    }
}

/// The S3 principal is the uploader of record; `x-amz-meta-uploaded-by` is kept as what the
/// metadata claims, and (with `-uploaded-by-name`) names the job in lists.
fn dropper(object: &StoredObject, upload: &UploadedObject) -> Uploader {
    let meta = |name: &str| {
        object
            .metadata
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
            .map(|v| v.chars().take(200).collect::<String>())
    };
    let actor = upload.principal.clone().unwrap_or_else(|| "s3".to_owned());
    let claimed_by = meta("uploaded-by");
    let name = meta("uploaded-by-name")
        .or_else(|| claimed_by.clone())
        .unwrap_or_else(|| actor.clone());
    Uploader {
        actor: Actor::new(actor),
        name,
        claimed_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mode_that_is_not_one_is_refused_by_name() {
        let mut object = StoredObject::default();
        assert_eq!(dropped_mode(&object), Ok(ImportMode::Partial));
        object.metadata.insert("mode".into(), "upsert".into());
        assert_eq!(dropped_mode(&object), Ok(ImportMode::Upsert));
        object
            .metadata
            .insert("mode".into(), "all-or-nothin".into());
        let refusal = dropped_mode(&object).unwrap_err();
        assert!(refusal.contains("'all-or-nothin'"), "{refusal}");
    }

    #[test]
    fn redeliveries_derive_the_same_job() {
        let a = job_id_for("b", "imports/acme/x.csv", "v1", 1_795_000_000_000);
        assert_eq!(
            a,
            job_id_for("b", "imports/acme/x.csv", "v1", 1_795_000_000_000)
        );
        assert_ne!(
            a,
            job_id_for("b", "imports/acme/x.csv", "v2", 1_795_000_000_000)
        );
    }

    #[test]
    fn droppers_are_named_by_metadata_else_the_principal() {
        let upload = UploadedObject {
            principal: Some("AWS:AIDA1".into()),
            ..Default::default()
        };
        let mut object = StoredObject::default();
        assert_eq!(dropper(&object, &upload).name, "AWS:AIDA1");
        object
            .metadata
            .insert("uploaded-by".into(), "hr-admin".into());
        let who = dropper(&object, &upload);
        assert_eq!(
            (who.actor.as_str(), who.name.as_str()),
            ("AWS:AIDA1", "hr-admin"),
            "the metadata names the job but does not replace the principal"
        );
        assert_eq!(who.claimed_by.as_deref(), Some("hr-admin"));
        object
            .metadata
            .insert("uploaded-by-name".into(), "Hannah Ruiz".into());
        assert_eq!(dropper(&object, &upload).name, "Hannah Ruiz");
    }
}
