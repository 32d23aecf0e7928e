//! The one validation every entry point uses (admin API, spreadsheet import, SCIM).
//!
//! Input arrives as a [`UserDraft`]: loosely typed, every field optional, exactly as a client or
//! a spreadsheet row gave it. [`validate_user`] turns it into a typed [`UserProfile`] or returns
//! *every* problem at once, each naming the field and saying in plain words what is wrong, so
//! an admin can fix a row in one pass.

//!
//! The parts: [`draft`] (the input and the overlay rule for changes), [`values`] (checks of
//! single values), `groups` (the rules of each group of related fields).

mod draft;
mod groups;
mod phone_fast;
pub(crate) mod values;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{DepartmentId, GroupId};
use crate::tenant::TenantSettings;
use crate::user::UserProfile;

pub use self::draft::{Overlay, UserDraft, ValidUser, decode_draft, decode_named};
use self::values::check_text;
pub use self::values::{
    CHAT_LIMIT_MAX, DISABLE_REASON_MAX, EMAIL_MAX, LOGIN_MAX, LOGIN_MIN, NAME_MAX, TEXT_MAX,
    check_email, check_imei, check_login, check_phone,
};

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field as clients name it (`login`, `allowed_ips[2]`, `devices[0].extension`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// All the problems of one record; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }

    /// Whether some error names `field`.
    pub fn mentions(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// What a user of the tenant may refer to: its departments and, when the tenant keeps them,
/// its pick lists of locations and job descriptions.
pub trait Directory {
    fn has_department(&self, id: &DepartmentId) -> bool;

    /// Whether the tenant has this group; a directory that does not know the groups says yes
    /// and leaves the check to the writer.
    fn has_group(&self, _id: &GroupId) -> bool {
        true
    }

    /// The tenant's locations; `None` (or an empty list) when it keeps none, and then any
    /// text goes.
    fn locations(&self) -> Option<&PickList> {
        None
    }

    fn job_descriptions(&self) -> Option<&PickList> {
        None
    }
}

impl Directory for BTreeSet<DepartmentId> {
    fn has_department(&self, id: &DepartmentId) -> bool {
        BTreeSet::contains(self, id)
    }
}

impl Directory for std::collections::HashSet<DepartmentId> {
    fn has_department(&self, id: &DepartmentId) -> bool {
        std::collections::HashSet::contains(self, id)
    }
}

/// The values a tenant allows for one field, compared without case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PickList(Vec<String>);

impl PickList {
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        Self(names.into_iter().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entry `raw` names, as the list spells it.
    pub fn find(&self, raw: &str) -> Option<&str> {
        let wanted = raw.trim().to_lowercase();
        self.0
            .iter()
            .find(|n| n.to_lowercase() == wanted)
            .map(String::as_str)
    }

    /// A few entries, for an error message.
    fn sample(&self) -> String {
        let mut shown: Vec<&str> = self.0.iter().take(10).map(String::as_str).collect();
        shown.sort_unstable();
        let more = self.0.len().saturating_sub(shown.len());
        let list = shown.join(", ");
        if more > 0 {
            format!("{list} and {more} more")
        } else {
            list
        }
    }
}

/// Collects errors so each rule can report and validation carries on.
#[derive(Default)]
pub(crate) struct Report(Vec<FieldError>);

impl Report {
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Runs a rule on an optional field, keeping the value when it passes.
    pub(crate) fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

impl Report {
    /// `value` when nothing was reported, else every problem.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, ValidationErrors> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ if self.0.is_empty() => Err(ValidationErrors::single("", "is not valid")),
            _ => Err(ValidationErrors(self.0)),
        }
    }

    pub(crate) fn is_clean(&self) -> bool {
        self.0.is_empty()
    }
}

/// Checks the reason given when disabling a user (optional, at most 150 characters).
pub fn validate_disable_reason(raw: Option<&str>) -> Result<Option<String>, ValidationErrors> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(reason) => check_text(reason, DISABLE_REASON_MAX)
            .map(Some)
            .map_err(|m| ValidationErrors::single("reason", m)),
    }
}

/// Validates a whole user against the tenant's policy and directory, reporting every problem.
pub fn validate_user(
    draft: &UserDraft,
    settings: &TenantSettings,
    directory: &dyn Directory,
) -> Result<ValidUser, ValidationErrors> {
    let mut report = Report::default();
    let r = &mut report;
    let login = groups::login(draft, settings, r);
    let names = groups::names(draft, settings, r);
    let contact = groups::contact(draft, settings, login.as_ref(), r);
    let placement = groups::placement(draft, settings, directory, r);
    let classification = groups::classification(draft, r);
    let activation = groups::activation(draft, contact.has_phone, r);
    let preferences = groups::preferences(draft, r);
    let sign_in = groups::sign_in(draft, settings, contact.has_email, r);
    let memberships = groups::memberships(draft, directory, r);
    if !report.0.is_empty() {
        return Err(ValidationErrors(report.0));
    }
    let (
        Some(login),
        Some(names),
        Some(placement),
        Some(classification),
        Some(activation),
        Some(preferences),
        Some(sign_in),
    ) = (
        login,
        names,
        placement,
        classification,
        activation,
        preferences,
        sign_in,
    )
    else {
        unreachable!("a group without its values always records a field error");
    };
    Ok(ValidUser {
        profile: UserProfile {
            login,
            first_name: names.first_name,
            last_name: names.last_name,
            email: contact.email,
            mobile_phone: contact.mobile_phone,
            business_phone: contact.business_phone,
            department_id: placement.department_id,
            kind: classification.kind,
            roles: classification.roles,
            scope: classification.scope,
            priority: classification.priority,
            client_type: classification.client_type,
            activation_method: activation.activation_method,
            imei: activation.imei,
            send_text: activation.send_text,
            maximal_contacts: preferences.maximal_contacts,
            in_address_book: preferences.in_address_book,
            nickname: preferences.nickname,
            language: preferences.language,
            show_photo: preferences.show_photo,
            photo: preferences.photo,
            max_live_chats: preferences.max_live_chats,
            max_nrt_chats: preferences.max_nrt_chats,
            login_using: sign_in.login_using,
            business_unit: placement.business_unit,
            location: placement.location,
            job_description: placement.job_description,
            company: placement.company,
            customer_code: preferences.customer_code,
            udid: preferences.udid,
            allowed_ips: sign_in.allowed_ips,
            groups: memberships.groups,
            devices: memberships.devices,
        },
        password: sign_in.password,
    })
}
