//! The one validation every entry point uses (admin API, spreadsheet import, SCIM).
//!
//! Input arrives as a [`UserDraft`]: loosely typed, every field optional, exactly as a client or
//! a spreadsheet row gave it. [`validate_user`] turns it into a typed [`UserProfile`] or returns
//! *every* problem at once, each naming the field and saying in plain words what is wrong, so
//! an admin can fix a row in one pass.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::enums::{ActivationMethod, ClientType, LoginUsing, Role, Scope, UserKind};
use crate::ids::{DepartmentId, GroupId};
use crate::password::{Password, policy_violations};
use crate::tenant::TenantSettings;
use crate::user::{Device, EmailAddress, Imei, Login, PhoneNumber, Priority, UserProfile};

pub const LOGIN_MIN: usize = 3;
pub const LOGIN_MAX: usize = 24;
pub const NAME_MAX: usize = 100;
pub const TEXT_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;
pub const DISABLE_REASON_MAX: usize = 150;
pub const CHAT_LIMIT_MAX: i64 = 1000;

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

/// A field that must come from a pick list when the tenant keeps one.
fn check_pick(raw: &str, list: Option<&PickList>, what: &str) -> Result<String, String> {
    let text = check_text(raw, TEXT_MAX)?;
    match list.filter(|l| !l.is_empty()) {
        None => Ok(text),
        Some(list) => list.find(&text).map(str::to_owned).ok_or_else(|| {
            format!(
                "'{text}' is not one of your organisation's {what} ({})",
                list.sample()
            )
        }),
    }
}

/// A user as a client or a spreadsheet row describes it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDraft {
    pub login: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phone: Option<String>,
    pub department_id: Option<String>,
    pub kind: Option<String>,
    pub roles: Option<Vec<String>>,
    pub scope: Option<String>,
    pub priority: Option<i64>,
    pub client_type: Option<String>,
    pub activation_method: Option<String>,
    pub imei: Option<String>,
    pub send_text: Option<bool>,
    pub maximal_contacts: Option<bool>,
    pub in_address_book: Option<bool>,
    pub nickname: Option<String>,
    pub language: Option<String>,
    pub show_photo: Option<bool>,
    pub photo: Option<String>,
    pub max_live_chats: Option<i64>,
    pub max_nrt_chats: Option<i64>,
    pub login_using: Option<String>,
    pub business_unit: Option<String>,
    pub location: Option<String>,
    pub job_description: Option<String>,
    pub company: Option<String>,
    pub customer_code: Option<String>,
    pub udid: Option<String>,
    pub allowed_ips: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
    pub devices: Option<Vec<Device>>,
    #[serde(skip_serializing)]
    pub password: Option<Password>,
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Password::new)
    }
}

/// A validated user, and the password to hash if one was given.
#[derive(Debug, Clone)]
pub struct ValidUser {
    pub profile: UserProfile,
    pub password: Option<Password>,
}

/// Collects errors so each rule can report and validation carries on.
#[derive(Default)]
struct Report(Vec<FieldError>);

impl Report {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Runs a rule on an optional field, keeping the value when it passes.
    fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

/// Trims, and treats blank as absent: spreadsheets and forms send empty strings for "nothing".
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn has_control_chars(value: &str) -> bool {
    value.chars().any(char::is_control)
}

/// A login: 3–24 letters, digits and `.`; or, where the tenant's policy allows, an e-mail
/// address (seed 003: "Email ID, if different from the Login ID").
pub fn check_login(raw: &str, settings: &TenantSettings) -> Result<Login, String> {
    if raw.contains('@') {
        if !settings.logins_may_be_emails {
            return Err(
                "may only contain letters, digits and '.' (found '@': your organisation does not use e-mail addresses as logins)"
                    .to_owned(),
            );
        }
        return check_email(raw).map(|e| Login::new_unchecked(e.as_str().to_owned()));
    }
    let length = raw.chars().count();
    if let Some(bad) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '.'))
    {
        let shown = if bad == ' ' {
            "a space".to_owned()
        } else {
            format!("'{bad}'")
        };
        return Err(format!(
            "may only contain letters, digits and '.' (found {shown})"
        ));
    }
    if !(LOGIN_MIN..=LOGIN_MAX).contains(&length) {
        return Err(format!(
            "must be {LOGIN_MIN} to {LOGIN_MAX} characters long (it has {length})"
        ));
    }
    Ok(Login::new_unchecked(raw.to_owned()))
}

fn check_name(raw: &str, min: usize) -> Result<String, String> {
    let length = raw.chars().count();
    if has_control_chars(raw) {
        return Err("must not contain control characters".to_owned());
    }
    if !raw.chars().any(char::is_alphanumeric) {
        return Err("must contain at least one letter or digit".to_owned());
    }
    if length < min {
        return Err(format!(
            "must be at least {min} characters long (it has {length})"
        ));
    }
    if length > NAME_MAX {
        return Err(format!("must be at most {NAME_MAX} characters long"));
    }
    Ok(raw.to_owned())
}

pub fn check_email(raw: &str) -> Result<EmailAddress, String> {
    if raw.len() > EMAIL_MAX {
        return Err(format!("must be at most {EMAIL_MAX} characters long"));
    }
    let parsed: email_address::EmailAddress = raw
        .parse()
        .map_err(|_| format!("'{raw}' is not a valid e-mail address"))?;
    // The RFC allows dot-less domains and quoted local parts; nobody's inbox uses them here.
    if !parsed.domain().contains('.') || raw.contains('"') || has_control_chars(raw) {
        return Err(format!("'{raw}' is not a valid e-mail address"));
    }
    Ok(EmailAddress::new_unchecked(raw.to_owned()))
}

/// Parses a phone number; numbers without `+`/country code take the tenant's country.
pub fn check_phone(raw: &str, settings: &TenantSettings) -> Result<PhoneNumber, String> {
    let country = settings.default_country;
    let parsed = phonenumber::parse(Some(country.id()), raw).map_err(|_| {
        format!("'{raw}' is not a phone number (digits, optionally starting with + and the country code)")
    })?;
    if !phonenumber::is_valid(&parsed) && raw.trim_start().starts_with('+') {
        return Err(format!("'{raw}' is not a valid phone number"));
    }
    if !phonenumber::is_valid(&parsed) {
        return Err(format!(
            "'{raw}' is not a valid phone number for {} (add + and the country code for another country)",
            country.code()
        ));
    }
    Ok(PhoneNumber::new_unchecked(
        parsed.format().mode(phonenumber::Mode::E164).to_string(),
    ))
}

/// 13 digits, or 15 digits whose last is the Luhn check digit. Spaces and dashes are ignored.
pub fn check_imei(raw: &str) -> Result<Imei, String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("must contain only digits".to_owned());
    }
    match digits.len() {
        13 => Ok(Imei::new_unchecked(digits)),
        15 if luhn_valid(&digits) => Ok(Imei::new_unchecked(digits)),
        15 => Err("is not a valid IMEI: the check digit (the 15th) does not match".to_owned()),
        n => Err(format!("must have 13 or 15 digits (it has {n})")),
    }
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn check_text(raw: &str, max: usize) -> Result<String, String> {
    if has_control_chars(raw) {
        return Err("must not contain control characters".to_owned());
    }
    if raw.chars().count() > max {
        return Err(format!("must be at most {max} characters long"));
    }
    Ok(raw.to_owned())
}

fn check_enum<T>(
    raw: Option<&str>,
    default: T,
    parse: fn(&str) -> Option<T>,
    choices: fn() -> String,
) -> Result<T, String> {
    match raw {
        None => Ok(default),
        Some(raw) => parse(raw).ok_or_else(|| format!("'{raw}' is not one of {}", choices())),
    }
}

fn check_chat_limit(raw: Option<i64>) -> Result<u32, String> {
    match raw {
        None => Ok(0),
        Some(n) if (0..=CHAT_LIMIT_MAX).contains(&n) => Ok(n as u32),
        Some(n) => Err(format!(
            "must be a whole number from 0 to {CHAT_LIMIT_MAX} (got {n})"
        )),
    }
}

fn check_language(raw: &str) -> Result<String, String> {
    let mut parts = raw.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "'{raw}' is not a language tag (for example en, fr or pt-BR)"
        ))
    }
}

fn check_ip_range(raw: &str) -> Result<IpNet, String> {
    let raw = raw.trim();
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("'{raw}' is not an IP address or CIDR range (like 10.0.0.0/8)"))
}

fn check_extension(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let ok = (1..=16).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err("must be 1 to 16 digits (and * or #)".to_owned())
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

/// Validates a whole user against the tenant's policy and departments.
pub fn validate_user(
    draft: &UserDraft,
    settings: &TenantSettings,
    directory: &dyn Directory,
) -> Result<ValidUser, ValidationErrors> {
    let mut report = Report::default();
    let r = &mut report;

    let login = match present(&draft.login) {
        None => {
            r.add("login", "is required");
            None
        }
        Some(raw) => r.check("login", check_login(raw, settings)),
    };
    // An e-mail login stands in for a blank e-mail (seed 003).
    let login_as_email = login
        .as_ref()
        .filter(|l| l.is_email())
        .map(|l| l.as_str().to_owned());

    let first_name = match present(&draft.first_name) {
        None => {
            r.add("first_name", "is required");
            None
        }
        Some(raw) => r.check("first_name", check_name(raw, 1)),
    };
    let last_name_min = usize::from(settings.last_name_min_length.max(1));
    let last_name = match present(&draft.last_name) {
        None => {
            r.add("last_name", "is required");
            None
        }
        Some(raw) => r.check("last_name", check_name(raw, last_name_min)),
    };

    let email_raw = present(&draft.email).or(login_as_email.as_deref());
    let phone_raw = present(&draft.mobile_phone);
    let email = email_raw.and_then(|raw| r.check("email", check_email(raw)).map(Some));
    let mobile_phone = phone_raw.and_then(|raw| {
        r.check("mobile_phone", check_phone(raw, settings))
            .map(Some)
    });
    if email_raw.is_none() && phone_raw.is_none() {
        r.add(
            "email",
            "an e-mail address or a mobile phone number is required",
        );
        r.add(
            "mobile_phone",
            "a mobile phone number or an e-mail address is required",
        );
    } else {
        if settings.require_email && email_raw.is_none() {
            r.add("email", "is required by your organisation's policy");
        }
        if settings.require_mobile_phone && phone_raw.is_none() {
            r.add("mobile_phone", "is required by your organisation's policy");
        }
    }
    let business_phone = present(&draft.business_phone)
        .and_then(|raw| r.check("business_phone", check_phone(raw, settings)))
        .map(|p| p.as_str().to_owned());

    let department_id = match present(&draft.department_id) {
        None if settings.require_department => {
            r.add("department_id", "is required by your organisation's policy");
            None
        }
        None => Some(None),
        Some(raw) => match DepartmentId::parse(raw) {
            Err(e) => {
                r.add("department_id", e.0);
                None
            }
            Ok(id) if !directory.has_department(&id) => {
                r.add(
                    "department_id",
                    format!("department '{id}' does not exist in your organisation"),
                );
                None
            }
            Ok(id) => Some(Some(id)),
        },
    };

    let kind = r.check(
        "kind",
        check_enum(
            present(&draft.kind),
            UserKind::Person,
            UserKind::parse_loose,
            UserKind::choices,
        ),
    );

    let roles = match &draft.roles {
        None => Some(BTreeSet::from([Role::Agent])),
        Some(list) => {
            let mut roles = BTreeSet::new();
            let mut ok = true;
            for (i, raw) in list.iter().enumerate() {
                match Role::parse_loose(raw) {
                    Some(role) => {
                        roles.insert(role);
                    }
                    None => {
                        ok = false;
                        r.add(
                            format!("roles[{i}]"),
                            format!("'{raw}' is not one of {}", Role::choices()),
                        );
                    }
                }
            }
            if ok && roles.is_empty() {
                r.add(
                    "roles",
                    format!("must name at least one of {}", Role::choices()),
                );
            }
            ok.then_some(roles).filter(|roles| !roles.is_empty())
        }
    };

    let scope = r.check(
        "scope",
        check_enum(
            present(&draft.scope),
            Scope::Simple,
            Scope::parse_loose,
            Scope::choices,
        ),
    );

    let priority = match draft.priority {
        None => Some(Priority::default()),
        Some(p) if (0..=i64::from(Priority::MAX)).contains(&p) => {
            Some(Priority::new_unchecked(p as u8))
        }
        Some(p) => {
            r.add(
                "priority",
                format!("must be a whole number from 0 (lowest) to 5 (highest) (got {p})"),
            );
            None
        }
    };

    let client_type_given = present(&draft.client_type);
    let client_type = r.check(
        "client_type",
        check_enum(
            client_type_given,
            ClientType::Unknown,
            ClientType::parse_loose,
            ClientType::choices,
        ),
    );
    if let (Some(kind), Some(ClientType::Unknown)) = (kind, client_type)
        && kind.needs_client_type()
    {
        r.add(
            "client_type",
            format!(
                "an {kind} has no device that reports its type when it provisions: set the client type (usually rtp_gateway)"
            ),
        );
    }

    let activation_method = r.check(
        "activation_method",
        check_enum(
            present(&draft.activation_method),
            ActivationMethod::Automatic,
            ActivationMethod::parse_loose,
            ActivationMethod::choices,
        ),
    );
    let imei_raw = present(&draft.imei);
    let imei = match (activation_method, imei_raw) {
        (Some(ActivationMethod::Manual), None) => {
            r.add("imei", "is required for manual activation");
            None
        }
        (Some(ActivationMethod::Automatic), Some(_)) => {
            r.add(
                "imei",
                "is only used with manual activation: set activation_method to manual or leave the IMEI empty",
            );
            None
        }
        (_, Some(raw)) => r.check("imei", check_imei(raw)),
        (_, None) => None,
    };

    let send_text = draft.send_text.unwrap_or(false);
    if send_text && phone_raw.is_none() {
        r.add(
            "send_text",
            "needs a mobile phone number to send the activation text to",
        );
    }

    let text = |r: &mut Report, field: &str, value: &Option<String>, max: usize| {
        present(value).and_then(|raw| r.check(field, check_text(raw, max)))
    };
    let nickname = text(r, "nickname", &draft.nickname, NAME_MAX);
    let language =
        present(&draft.language).and_then(|raw| r.check("language", check_language(raw)));
    let photo = text(r, "photo", &draft.photo, 1024);
    let business_unit = text(r, "business_unit", &draft.business_unit, TEXT_MAX);
    let location = present(&draft.location).and_then(|raw| {
        r.check(
            "location",
            check_pick(raw, directory.locations(), "locations"),
        )
    });
    let job_description = present(&draft.job_description).and_then(|raw| {
        r.check(
            "job_description",
            check_pick(raw, directory.job_descriptions(), "job descriptions"),
        )
    });
    let company = text(r, "company", &draft.company, TEXT_MAX);
    let customer_code = text(r, "customer_code", &draft.customer_code, 64);
    let udid = text(r, "udid", &draft.udid, 128);

    let max_live_chats = r.check("max_live_chats", check_chat_limit(draft.max_live_chats));
    let max_nrt_chats = r.check("max_nrt_chats", check_chat_limit(draft.max_nrt_chats));

    let login_using = r.check(
        "login_using",
        check_enum(
            present(&draft.login_using),
            LoginUsing::LoginName,
            LoginUsing::parse_loose,
            LoginUsing::choices,
        ),
    );
    if matches!(login_using, Some(LoginUsing::Email | LoginUsing::Both)) && email_raw.is_none() {
        r.add(
            "login_using",
            "signing in with the e-mail address needs an e-mail address",
        );
    }

    let mut allowed_ips = Vec::new();
    for (i, raw) in draft.allowed_ips.iter().flatten().enumerate() {
        if let Some(net) = r.check(&format!("allowed_ips[{i}]"), check_ip_range(raw)) {
            allowed_ips.push(net);
        }
    }

    let mut groups = BTreeSet::new();
    for (i, raw) in draft.groups.iter().flatten().enumerate() {
        if let Some(g) = r.check(
            &format!("groups[{i}]"),
            GroupId::parse(raw.trim()).map_err(|e| e.0),
        ) {
            groups.insert(g);
        }
    }

    let mut devices = Vec::new();
    for (i, device) in draft.devices.iter().flatten().enumerate() {
        let extension = r.check(
            &format!("devices[{i}].extension"),
            check_extension(&device.extension),
        );
        let label = device
            .label
            .as_deref()
            .and_then(|l| r.check(&format!("devices[{i}].label"), check_text(l, NAME_MAX)));
        if let Some(extension) = extension {
            devices.push(Device { extension, label });
        }
    }

    let password = draft.password.clone().filter(|p| !p.expose().is_empty());
    if let Some(p) = &password {
        let problems = policy_violations(&settings.password_policy, p.expose());
        if !problems.is_empty() {
            r.add("password", problems.join("; "));
        }
    }

    if !report.0.is_empty() {
        return Err(ValidationErrors(report.0));
    }
    // Every `None` above that matters recorded an error, so these are all present now.
    let (
        Some(login),
        Some(first_name),
        Some(last_name),
        Some(department_id),
        Some(kind),
        Some(roles),
        Some(scope),
        Some(priority),
        Some(client_type),
        Some(activation_method),
        Some(max_live_chats),
        Some(max_nrt_chats),
        Some(login_using),
    ) = (
        login,
        first_name,
        last_name,
        department_id,
        kind,
        roles,
        scope,
        priority,
        client_type,
        activation_method,
        max_live_chats,
        max_nrt_chats,
        login_using,
    )
    else {
        unreachable!("a missing required value always records a field error");
    };

    Ok(ValidUser {
        profile: UserProfile {
            login,
            first_name,
            last_name,
            email: email.flatten(),
            mobile_phone: mobile_phone.flatten(),
            business_phone,
            department_id,
            kind,
            roles,
            scope,
            priority,
            client_type,
            activation_method,
            imei,
            send_text,
            maximal_contacts: draft.maximal_contacts.unwrap_or(true),
            in_address_book: draft.in_address_book.unwrap_or(true),
            nickname,
            language,
            show_photo: draft.show_photo.unwrap_or(false),
            photo,
            max_live_chats,
            max_nrt_chats,
            login_using,
            business_unit,
            location,
            job_description,
            company,
            customer_code,
            udid,
            allowed_ips,
            groups,
            devices,
        },
        password,
    })
}

impl From<&UserProfile> for UserDraft {
    /// The draft that validates back to `profile`: updates apply a patch to it and validate
    /// the result, so an edit obeys exactly the rules a creation does.
    fn from(p: &UserProfile) -> Self {
        let s = |v: &str| Some(v.to_owned());
        Self {
            login: s(p.login.as_str()),
            first_name: s(&p.first_name),
            last_name: s(&p.last_name),
            email: p.email.as_ref().map(|e| e.as_str().to_owned()),
            mobile_phone: p.mobile_phone.as_ref().map(|m| m.as_str().to_owned()),
            business_phone: p.business_phone.clone(),
            department_id: p.department_id.as_ref().map(|d| d.as_str().to_owned()),
            kind: s(p.kind.as_str()),
            roles: Some(p.roles.iter().map(|r| r.as_str().to_owned()).collect()),
            scope: s(p.scope.as_str()),
            priority: Some(i64::from(p.priority.get())),
            client_type: s(p.client_type.as_str()),
            activation_method: s(p.activation_method.as_str()),
            imei: p.imei.as_ref().map(|i| i.as_str().to_owned()),
            send_text: Some(p.send_text),
            maximal_contacts: Some(p.maximal_contacts),
            in_address_book: Some(p.in_address_book),
            nickname: p.nickname.clone(),
            language: p.language.clone(),
            show_photo: Some(p.show_photo),
            photo: p.photo.clone(),
            max_live_chats: Some(i64::from(p.max_live_chats)),
            max_nrt_chats: Some(i64::from(p.max_nrt_chats)),
            login_using: s(p.login_using.as_str()),
            business_unit: p.business_unit.clone(),
            location: p.location.clone(),
            job_description: p.job_description.clone(),
            company: p.company.clone(),
            customer_code: p.customer_code.clone(),
            udid: p.udid.clone(),
            allowed_ips: Some(p.allowed_ips.iter().map(ToString::to_string).collect()),
            groups: Some(p.groups.iter().map(|g| g.as_str().to_owned()).collect()),
            devices: Some(p.devices.clone()),
            password: None,
        }
    }
}
