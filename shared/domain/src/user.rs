//! The user record.
//!
//! Value types here are only constructed by [`crate::validation`] (or read back from storage,
//! which only ever holds validated values), so holding a [`Login`] means holding a valid one.

use std::collections::BTreeSet;
use std::fmt;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::directory::answering_rules::AnsweringRule;
pub use crate::directory::device::Device;
use crate::directory::voicemail::Voicemail;
use crate::enums::{ActivationMethod, ClientType, LoginUsing, Role, Scope, UserKind, UserStatus};
use crate::ids::{Actor, DepartmentId, GroupId, TenantId, UserId};
use crate::password::PasswordHash;

macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub(crate) fn new_unchecked(value: String) -> Self {
                Self(value)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

validated_string!(
    /// 3–24 letters, digits and `.` (or an e-mail address where the tenant allows it); unique
    /// per tenant regardless of case.
    Login
);
validated_string!(
    /// A syntactically valid e-mail address, as typed (trimmed).
    EmailAddress
);
validated_string!(
    /// A phone number in E.164 (`+15551234567`).
    PhoneNumber
);
validated_string!(
    /// 13 digits, or 15 digits with a valid Luhn check digit.
    Imei
);

impl Login {
    /// The form uniqueness and lookups use: logins differing only in case are the same login.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// Whether this login is an e-mail address (tenants with `logins_may_be_emails`).
    pub fn is_email(&self) -> bool {
        self.0.contains('@')
    }
}

impl EmailAddress {
    /// Addresses differing only in case belong to the same person.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// 0 (lowest) to 5 (highest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Priority(u8);

impl Priority {
    pub const MAX: u8 = 5;

    pub(crate) fn new_unchecked(value: u8) -> Self {
        Self(value)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// Everything an admin (or a spreadsheet) sets on a user; produced only by validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub login: Login,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<PhoneNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_phone: Option<String>,
    /// Optional unless the tenant's `require_department` says so.
    #[serde(default)]
    pub department_id: Option<DepartmentId>,
    pub kind: UserKind,
    pub roles: BTreeSet<Role>,
    pub scope: Scope,
    pub priority: Priority,
    pub client_type: ClientType,
    pub activation_method: ActivationMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imei: Option<Imei>,
    pub send_text: bool,
    pub maximal_contacts: bool,
    pub in_address_book: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub show_photo: bool,
    /// S3 key of the checked photo; set by the photo upload, never by clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
    pub max_live_chats: u32,
    pub max_nrt_chats: u32,
    pub login_using: LoginUsing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udid: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_ips: Vec<IpNet>,
    /// Kept here (the source of truth for `group_ids`) and mirrored by membership items.
    #[serde(
        default,
        rename = "group_ids",
        alias = "groups",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub groups: BTreeSet<GroupId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
}

/// Who created or last changed a record, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: Actor,
}

impl Stamp {
    pub fn now(by: &Actor) -> Self {
        Self {
            at: now_utc_millis(),
            by: by.clone(),
        }
    }
}

/// Millisecond precision: what RFC 3339 in JSON and storage round-trips without surprise.
pub fn now_utc_millis() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now)
}

/// Why and by whom a user was disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disabled {
    pub reason: Option<String>,
    pub stamp: Stamp,
}

/// One disable or enable: who, when, and (for a disable) why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: UserStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: Actor,
}

/// Status changes kept on the user item, newest first; older ones are stored as items of their
/// own (in the same transaction that drops them), so history is kept without growing the item.
pub const STATUS_HISTORY_ON_USER: usize = 50;

/// Attributes only an identity provider sets (SCIM), kept as sent so they read back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provisioned {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
}

impl Provisioned {
    pub fn is_empty(&self) -> bool {
        self.external_id.is_none() && self.display_name.is_none() && self.employee_number.is_none()
    }
}

/// A stored user. The profile is what admins edit; the rest is identity, state and audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub profile: UserProfile,
    pub trusted: bool,
    pub status: UserStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
    /// Every disable and enable, newest first (the last [`STATUS_HISTORY_ON_USER`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_history: Vec<StatusChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<PasswordHash>,
    pub password_reset_required: bool,
    /// The latest activation request's outcome (written by the sender, not by admins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<crate::activation::model::ActivationState>,
    /// A photo upload handed out and not yet checked (see `directory::photo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_upload: Option<crate::directory::photo::PendingPhoto>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail: Option<Voicemail>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answering_rules: Vec<AnsweringRule>,
    /// What an identity provider knows the user by (SCIM `externalId`, `displayName`,
    /// `employeeNumber`); absent for users no provider manages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned: Option<Provisioned>,
    /// The department whose member counters do not include this user: the one an import
    /// created it in (the job holds the tenant's departments while it runs instead, which
    /// saves two write units per imported user). Any move counts the user again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncounted_in: Option<DepartmentId>,
    /// Optimistic-locking counter: starts at 1, grows by one per stored change.
    pub version: u64,
    pub created: Stamp,
    pub updated: Stamp,
}

impl User {
    /// A new, untrusted, active user at version 1.
    pub fn new(tenant_id: TenantId, profile: UserProfile, by: &Actor) -> Self {
        let stamp = Stamp::now(by);
        Self {
            id: UserId::generate(),
            tenant_id,
            profile,
            trusted: false,
            status: UserStatus::Active,
            disabled: None,
            status_history: Vec::new(),
            password_hash: None,
            password_reset_required: false,
            activation: None,
            photo_upload: None,
            voicemail: None,
            answering_rules: Vec::new(),
            provisioned: None,
            uncounted_in: None,
            version: 1,
            created: stamp.clone(),
            updated: stamp,
        }
    }

    /// Disables (with an optional reason) or enables the user, keeping the change in its
    /// history; the current reason is the one of the latest disable.
    pub fn set_status(&mut self, status: UserStatus, reason: Option<String>, by: &Actor) {
        let stamp = Stamp::now(by);
        self.status = status;
        self.disabled = match status {
            UserStatus::Disabled => Some(Disabled {
                reason: reason.clone(),
                stamp: stamp.clone(),
            }),
            UserStatus::Active => None,
        };
        self.status_history.insert(
            0,
            StatusChange {
                status,
                reason,
                at: stamp.at,
                by: stamp.by,
            },
        );
        self.status_history.truncate(STATUS_HISTORY_ON_USER);
    }

    /// The department whose member counters include this user, if any.
    pub fn counted_department(&self) -> Option<&DepartmentId> {
        self.profile
            .department_id
            .as_ref()
            .filter(|d| self.uncounted_in.as_ref() != Some(*d))
    }

    /// `next` as it is stored after `self`: a user who changes department is counted in
    /// the new one (so the move is checked against a department delete like any other).
    pub fn settled_after(&self, next: &User) -> Option<User> {
        (next.uncounted_in.is_some() && next.profile.department_id != self.profile.department_id)
            .then(|| User {
                uncounted_in: None,
                ..next.clone()
            })
    }

    /// The next version of this user, stamped; storage checks `version - 1` is still current.
    pub fn touched(mut self, by: &Actor) -> Self {
        self.version += 1;
        self.updated = Stamp::now(by);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::{UserDraft, validate_user};

    fn imported_into(dept: &str) -> User {
        let dept = DepartmentId::parse(dept).unwrap();
        let draft = UserDraft {
            login: Some("ann.lee".into()),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            email: Some("ann.lee@example.com".into()),
            department_id: Some(dept.to_string()),
            ..UserDraft::default()
        };
        let known = BTreeSet::from([dept.clone(), DepartmentId::parse("office").unwrap()]);
        let valid =
            validate_user(&draft, &crate::tenant::TenantSettings::default(), &known).unwrap();
        let mut user = User::new(
            TenantId::parse("acme").unwrap(),
            valid.profile,
            &Actor::new("import:x"),
        );
        user.uncounted_in = Some(dept);
        user
    }

    #[test]
    fn an_imported_user_is_counted_again_once_it_changes_department() {
        let user = imported_into("field");
        assert_eq!(user.counted_department(), None);
        let mut renamed = user.clone();
        renamed.profile.first_name = "Annie".into();
        assert!(user.settled_after(&renamed).is_none(), "same department");
        let mut moved = user.clone();
        moved.profile.department_id = Some(DepartmentId::parse("office").unwrap());
        let settled = user.settled_after(&moved).expect("a move settles");
        assert_eq!(settled.uncounted_in, None);
        assert_eq!(
            settled.counted_department().map(|d| d.as_str()),
            Some("office")
        );
        let mut back = settled.clone();
        back.profile.department_id = Some(DepartmentId::parse("field").unwrap());
        assert_eq!(back.counted_department().map(|d| d.as_str()), Some("field"));
        let mut gone = user.clone();
        gone.profile.department_id = None;
        assert_eq!(
            user.settled_after(&gone).unwrap().counted_department(),
            None
        );
    }
}
