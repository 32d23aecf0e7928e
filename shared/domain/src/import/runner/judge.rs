//! Judging a row without any I/O: read it into a draft, resolve its department, validate it
//! with the rules every entry point uses, and catch logins and e-mails that an earlier row of
//! the same file already claimed.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::first_rows::FirstRows;

use crate::import::columns::HeaderMap;
use crate::import::directory::ImportDirectory;
use crate::import::rows::draft_from_row;
use crate::import::sheet::{MAX_ROW_CELLS, Row};
use crate::tenant::TenantSettings;
use crate::validation::{FieldError, UserDraft, ValidUser, validate_user};

/// The hash of the key's lower case; a key already in lower case (most logins and e-mails)
/// is hashed as it is, with no copy.
fn key_hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    if text
        .bytes()
        .any(|b| !b.is_ascii() || b.is_ascii_uppercase())
    {
        text.to_lowercase().hash(&mut h);
    } else {
        text.hash(&mut h);
    }
    h.finish()
}

/// First occurrences of logins and e-mails in the file (hashes: 1M rows take 30 MB).
#[derive(Default)]
pub(super) struct SeenKeys {
    logins: FirstRows,
    emails: FirstRows,
    /// Extensions and MAC addresses are unique in the tenant too: within a file the first
    /// row to claim one keeps it (rather than whichever write lands first).
    devices: HashMap<String, u64>,
}

impl SeenKeys {
    /// Sized for a file of `rows` rows (the survey's count), so it never grows while read.
    pub(super) fn for_rows(rows: u64) -> Self {
        let rows = usize::try_from(rows).unwrap_or(usize::MAX);
        Self {
            logins: FirstRows::with_capacity(rows),
            emails: FirstRows::with_capacity(rows),
            devices: HashMap::new(),
        }
    }

    /// Records a valid row; the errors say which earlier row it duplicates.
    fn admit(&mut self, row: u64, user: &ValidUser) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let login = key_hash(user.profile.login.as_str());
        if let Some(first) = self.logins.get(login) {
            errors.push(FieldError::new(
                "login",
                format!("is a duplicate of row {first} in this file"),
            ));
        }
        let email = user.profile.email.as_ref().map(|e| key_hash(e.as_str()));
        if let Some(first) = email.and_then(|e| self.emails.get(e)) {
            errors.push(FieldError::new(
                "email",
                format!("is a duplicate of row {first} in this file"),
            ));
        }
        let device_keys: Vec<(String, String)> = user
            .profile
            .devices
            .iter()
            .enumerate()
            .flat_map(|(i, d)| {
                let extension = (
                    format!("devices[{i}].extension"),
                    format!("ext:{}", d.extension),
                );
                let mac = d.mac_address.as_ref().map(|m| {
                    (
                        format!("devices[{i}].mac_address"),
                        format!("mac:{m}").to_lowercase(),
                    )
                });
                std::iter::once(extension).chain(mac)
            })
            .collect();
        for (field, key) in &device_keys {
            if let Some(first) = self.devices.get(key) {
                errors.push(FieldError::new(
                    field.as_str(),
                    format!("is a duplicate of row {first} in this file"),
                ));
            }
        }
        if errors.is_empty() {
            self.logins.insert_first(login, row);
            if let Some(e) = email {
                self.emails.insert_first(e, row);
            }
            for (_, key) in device_keys {
                self.devices.insert(key, row);
            }
        }
        errors
    }
}

/// How a read tells a row that repeats an earlier one of the file.
pub(super) enum Duplicates {
    /// Found while reading: the read starts at the file's first row.
    Tracked(SeenKeys),
    /// Found before a split job's shares started: each duplicate row of one share, by its
    /// number, with its errors. A share then reads only its own rows.
    Known(HashMap<u64, Vec<FieldError>>),
}

impl Duplicates {
    pub(super) fn for_rows(rows: u64) -> Self {
        Self::Tracked(SeenKeys::for_rows(rows))
    }

    /// Whether judging a row needs the rows before it.
    pub(super) fn needs_every_row(&self) -> bool {
        matches!(self, Self::Tracked(_))
    }

    /// The errors that make the valid row `row` a duplicate (none: it is a first occurrence).
    fn admit(&mut self, row: u64, user: &ValidUser) -> Vec<FieldError> {
        match self {
            Self::Tracked(seen) => seen.admit(row, user),
            Self::Known(known) => known.get(&row).cloned().unwrap_or_default(),
        }
    }
}

/// What the rules say about one row.
pub(super) enum Verdict {
    Valid(Box<(ValidUser, UserDraft)>),
    /// With the row's draft when it could be read (upsert may still merge it into a user).
    Invalid(Vec<FieldError>, Option<Box<UserDraft>>),
    Duplicate(Vec<FieldError>),
}

/// The rules a row is judged by, fixed for the whole job.
pub(super) struct Rules<'a> {
    pub map: &'a HeaderMap,
    pub settings: &'a TenantSettings,
    pub directory: &'a ImportDirectory,
}

impl Rules<'_> {
    pub(super) fn judge(&self, row: &Row, seen: &mut Duplicates) -> Verdict {
        if row.cells.len() > MAX_ROW_CELLS {
            return Verdict::Invalid(
                vec![FieldError::new(
                    "row",
                    format!(
                        "the row has more than {MAX_ROW_CELLS} cells; a row may have at most {MAX_ROW_CELLS} (is a delimiter or quote missing?)"
                    ),
                )],
                None,
            );
        }
        let mut draft = match draft_from_row(self.map, &row.cells) {
            Ok(d) => d,
            Err(errors) => return Verdict::Invalid(errors, None),
        };
        self.directory.resolve_department(&mut draft);
        self.directory.resolve_groups(&mut draft);
        match validate_user(&draft, self.settings, self.directory) {
            Err(errors) => Verdict::Invalid(errors.into_errors(), Some(Box::new(draft))),
            Ok(valid) => {
                let duplicates = seen.admit(row.number, &valid);
                if duplicates.is_empty() {
                    Verdict::Valid(Box::new((valid, draft)))
                } else {
                    Verdict::Duplicate(duplicates)
                }
            }
        }
    }
}

/// Validates rows one by one with in-file duplicate detection, without any I/O: the part of an
/// import that benchmarks measure against the bare readers.
pub struct RowChecker {
    map: HeaderMap,
    settings: TenantSettings,
    directory: ImportDirectory,
    seen: Duplicates,
}

impl RowChecker {
    pub fn new(
        map: HeaderMap,
        settings: TenantSettings,
        directory: impl Into<ImportDirectory>,
    ) -> Self {
        Self {
            map,
            settings,
            directory: directory.into(),
            seen: Duplicates::Tracked(SeenKeys::default()),
        }
    }

    /// Sizes the duplicate index for `rows` rows up front, as the import job does from its
    /// survey.
    pub fn expecting_rows(mut self, rows: u64) -> Self {
        self.seen = Duplicates::for_rows(rows);
        self
    }

    /// Whether the row would be imported.
    pub fn check(&mut self, row: &Row) -> bool {
        let rules = Rules {
            map: &self.map,
            settings: &self.settings,
            directory: &self.directory,
        };
        matches!(rules.judge(row, &mut self.seen), Verdict::Valid(_))
    }
}

#[cfg(test)]
mod tests {
    use super::key_hash;

    #[test]
    fn keys_that_differ_only_in_case_hash_alike() {
        for (a, b) in [
            ("Ann.Lee", "ann.lee"),
            ("ZOË@X.ORG", "zoë@x.org"),
            ("a", "a"),
        ] {
            assert_eq!(key_hash(a), key_hash(b), "{a} {b}");
        }
        assert_ne!(key_hash("ann"), key_hash("anne"));
    }
}
