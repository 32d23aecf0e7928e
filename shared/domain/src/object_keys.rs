//! The bucket's layout: the one place that knows how object keys are built and read back,
//! as `roster_aws::keys` is for the table.
//!
//! | object                                   | key                                              |
//! |------------------------------------------|--------------------------------------------------|
//! | a sheet dropped into the bucket          | `imports/{t}/{file}` (subfolders allowed)        |
//! | the file of a job created through the API| `imports/{t}/{job}/{file}`                       |
//! | a job's report files (cleared on restart)| `reports/{t}/{job}/…`                            |
//! | its error report                         | `reports/{t}/{job}/errors.{csv,xlsx,xls,ods}`    |
//! | its plain-text report                    | `reports/{t}/{job}/errors.txt`                   |
//! | its summary                              | `reports/{t}/{job}/summary.json`                 |
//! | failed rows of one chunk                 | `reports/{t}/{job}/parts/{first row:010}.json`   |
//! | users an all_or_nothing chunk created    | `reports/{t}/{job}/created/{next row:010}.json`  |
//! | duplicate rows of a split job's share    | `reports/{t}/{job}/duplicates/{share:04}.json`   |
//! | a large export                           | `exports/{t}/{export id}.csv`                    |
//! | a user's profile photo                   | `photos/{t}/{user}/{photo id}.{jpg,png,gif,webp}`|
//!
//! Every key starts with a prefix and the tenant id, and tenant ids are letters, digits, `-`
//! and `_` ([`TenantId`]): no key built here can land in another tenant's folder, and a key
//! read back names its tenant only if that folder is a valid tenant id. The template's IAM
//! policies and lifecycle rules are written per prefix (`imports/`, `reports/`, `exports/`).

use crate::ids::{ImportJobId, TenantId, UserId};

pub const IMPORTS: &str = "imports/";
pub const REPORTS: &str = "reports/";
pub const EXPORTS: &str = "exports/";
pub const PHOTOS: &str = "photos/";

/// Where a job created through the API expects its file.
pub fn job_upload(tenant: &TenantId, job: &ImportJobId, file_name: &str) -> String {
    format!("{IMPORTS}{tenant}/{job}/{file_name}")
}

/// Every report file of a job lives under this prefix.
pub fn job_reports(tenant: &TenantId, job: &ImportJobId) -> String {
    format!("{REPORTS}{tenant}/{job}/")
}

pub fn error_report(tenant: &TenantId, job: &ImportJobId, extension: &str) -> String {
    format!("{}errors.{extension}", job_reports(tenant, job))
}

pub fn text_report(tenant: &TenantId, job: &ImportJobId) -> String {
    error_report(tenant, job, "txt")
}

pub fn summary(tenant: &TenantId, job: &ImportJobId) -> String {
    format!("{}summary.json", job_reports(tenant, job))
}

pub fn report_parts(tenant: &TenantId, job: &ImportJobId) -> String {
    format!("{}parts/", job_reports(tenant, job))
}

/// The failed rows of the chunk whose first failed row is `first_row`: part keys sort in row
/// order.
pub fn report_part(tenant: &TenantId, job: &ImportJobId, first_row: u64) -> String {
    format!("{}{first_row:010}.json", report_parts(tenant, job))
}

/// The ids of users an `all_or_nothing` job created, one object per chunk.
pub fn created_parts(tenant: &TenantId, job: &ImportJobId) -> String {
    format!("{}created/", job_reports(tenant, job))
}

pub fn created_part(tenant: &TenantId, job: &ImportJobId, next_row: u64) -> String {
    format!("{}{next_row:010}.json", created_parts(tenant, job))
}

/// The duplicate rows the split of a job found, one object per share.
pub fn share_duplicates_parts(tenant: &TenantId, job: &ImportJobId) -> String {
    format!("{}duplicates/", job_reports(tenant, job))
}

pub fn share_duplicates(tenant: &TenantId, job: &ImportJobId, share: u32) -> String {
    format!("{}{share:04}.json", share_duplicates_parts(tenant, job))
}

/// A new key for a photo of `user`: each upload gets its own, so a link handed out for an old
/// photo never shows a new one.
pub fn photo(tenant: &TenantId, user: &UserId, extension: &str) -> String {
    format!(
        "{PHOTOS}{tenant}/{user}/{}.{extension}",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

pub fn export(tenant: &TenantId, export_id: &str) -> String {
    format!("{EXPORTS}{tenant}/{export_id}.csv")
}

/// What an object under `imports/` is.
#[derive(Debug, PartialEq, Eq)]
pub enum UploadKey {
    /// `imports/{tenant}/{job}/{file}`: the file of a job created through the API.
    ForJob {
        tenant: TenantId,
        job: ImportJobId,
        file_name: String,
    },
    /// `imports/{tenant}/{file}`: a file dropped straight into the bucket.
    Dropped { tenant: TenantId, file_name: String },
}

/// Reads an upload's key back; `Err` says why the object is no upload.
pub fn parse_upload(key: &str) -> Result<UploadKey, String> {
    let rest = key
        .strip_prefix(IMPORTS)
        .ok_or("the object is outside the imports/ prefix")?;
    let (tenant, rest) = rest
        .split_once('/')
        .ok_or("the object is not inside a tenant folder")?;
    let tenant =
        TenantId::parse(tenant).map_err(|e| format!("the folder is not a tenant id: {}", e.0))?;
    if rest.is_empty() || rest.ends_with('/') {
        return Err("the object is a folder".into());
    }
    if let Some((job, file)) = rest.split_once('/')
        && let Ok(job) = ImportJobId::parse(job)
        && !file.is_empty()
    {
        return Ok(UploadKey::ForJob {
            tenant,
            job,
            file_name: file.rsplit('/').next().unwrap_or(file).to_owned(),
        });
    }
    let file_name = rest.rsplit('/').next().unwrap_or(rest).to_owned();
    Ok(UploadKey::Dropped { tenant, file_name })
}

/// A key as S3 event notifications carry it: URL-encoded, `+` for spaces.
pub fn decode_event_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    #[test]
    fn job_uploads_round_trip() {
        let job = ImportJobId::generate();
        let key = job_upload(&acme(), &job, "New hires (Zürich).csv");
        assert_eq!(
            parse_upload(&key).unwrap(),
            UploadKey::ForJob {
                tenant: acme(),
                job,
                file_name: "New hires (Zürich).csv".into()
            }
        );
    }

    #[test]
    fn drops_are_files_in_a_tenant_folder() {
        assert_eq!(
            parse_upload("imports/acme/hr/2026/users.csv").unwrap(),
            UploadKey::Dropped {
                tenant: acme(),
                file_name: "users.csv".into()
            }
        );
        for (key, why) in [
            ("reports/acme/x.csv", "outside"),
            ("imports/x.csv", "tenant folder"),
            ("imports/a#b/x.csv", "not a tenant id"),
            ("imports/../other/x.csv", "not a tenant id"),
            ("imports//x.csv", "not a tenant id"),
            ("imports/acme/", "folder"),
        ] {
            let err = parse_upload(key).unwrap_err();
            assert!(err.contains(why), "{key}: {err}");
        }
    }

    #[test]
    fn event_keys_are_decoded_like_s3_encodes_them() {
        assert_eq!(
            decode_event_key("imports/acme/My+Users+%282026%29.csv"),
            "imports/acme/My Users (2026).csv"
        );
        assert_eq!(
            decode_event_key("imports/acme/Z%C3%BCrich.xlsx"),
            "imports/acme/Zürich.xlsx"
        );
        assert_eq!(decode_event_key("100%25.csv"), "100%.csv");
        // An encoded slash or dot cannot smuggle the upload into another tenant's folder.
        let sneaky = decode_event_key("imports/%2E%2E%2Fother/x.csv");
        assert!(parse_upload(&sneaky).is_err(), "{sneaky}");
        let job = ImportJobId::generate();
        let encoded = job_upload(&acme(), &job, "a b.csv").replace(' ', "+");
        assert!(matches!(
            parse_upload(&decode_event_key(&encoded)),
            Ok(UploadKey::ForJob { .. })
        ));
    }

    #[test]
    fn every_key_stays_in_its_tenants_folder() {
        let job = ImportJobId::generate();
        let t = acme();
        for key in [
            job_upload(&t, &job, "x.csv"),
            error_report(&t, &job, "xlsx"),
            text_report(&t, &job),
            summary(&t, &job),
            report_part(&t, &job, 7),
            export(&t, "01j"),
        ] {
            let folder = key.split('/').nth(1).unwrap();
            assert_eq!(folder, "acme", "{key}");
        }
        assert!(
            report_part(&t, &job, 7) < report_part(&t, &job, 12),
            "parts sort by row"
        );
        assert!(report_part(&t, &job, 7).starts_with(&report_parts(&t, &job)));
        assert!(summary(&t, &job).starts_with(&job_reports(&t, &job)));
    }
}
