//! The rules of a user, one function per group of fields that depend on each other. Each
//! records every problem it finds in the report and returns its values, or `None` when a
//! value it must have is missing (which it has reported).

use std::collections::BTreeSet;

use ipnet::IpNet;

use super::Directory;
use super::Report;
use super::draft::UserDraft;
use super::values::*;
use crate::directory::device::check_devices;
use crate::directory::group::GROUPS_PER_USER;
use crate::enums::{ActivationMethod, ClientType, ClosedSet, LoginUsing, Role, Scope, UserKind};
use crate::ids::{DepartmentId, GroupId};
use crate::password::{Password, policy_violations};
use crate::tenant::TenantSettings;
use crate::user::{Device, EmailAddress, Imei, Login, PhoneNumber, Priority};

fn required<'a>(r: &mut Report, field: &str, value: &'a Option<String>) -> Option<&'a str> {
    let raw = present(value);
    if raw.is_none() {
        r.add(field, "is required");
    }
    raw
}

fn choice<T: ClosedSet>(
    r: &mut Report,
    field: &str,
    value: &Option<String>,
    default: T,
) -> Option<T> {
    r.check(field, check_enum(present(value), default))
}

fn text(r: &mut Report, field: &str, value: &Option<String>, max: usize) -> Option<String> {
    present(value).and_then(|raw| r.check(field, check_text(raw, max)))
}

pub(super) struct Names {
    pub first_name: String,
    pub last_name: String,
}

pub(super) fn login(draft: &UserDraft, settings: &TenantSettings, r: &mut Report) -> Option<Login> {
    let raw = required(r, "login", &draft.login)?;
    r.check("login", check_login(raw, settings))
}

pub(super) fn names(draft: &UserDraft, settings: &TenantSettings, r: &mut Report) -> Option<Names> {
    let first_name = required(r, "first_name", &draft.first_name)
        .and_then(|raw| r.check("first_name", check_name(raw, 1)));
    let last_name_min = usize::from(settings.last_name_min_length.max(1));
    let last_name = required(r, "last_name", &draft.last_name)
        .and_then(|raw| r.check("last_name", check_name(raw, last_name_min)));
    Some(Names {
        first_name: first_name?,
        last_name: last_name?,
    })
}

/// How the user is reached. At least one of e-mail and mobile phone; an e-mail login stands
/// in for a blank e-mail (seed 003).
pub(super) struct Contact {
    pub email: Option<EmailAddress>,
    pub mobile_phone: Option<PhoneNumber>,
    pub business_phone: Option<String>,
    /// Whether an e-mail address / a mobile phone was given (valid or not).
    pub has_email: bool,
    pub has_phone: bool,
}

pub(super) fn contact(
    draft: &UserDraft,
    settings: &TenantSettings,
    login: Option<&Login>,
    r: &mut Report,
) -> Contact {
    let login_as_email = login.filter(|l| l.is_email()).map(Login::as_str);
    let email_raw = present(&draft.email).or(login_as_email);
    let phone_raw = present(&draft.mobile_phone);
    let email = email_raw.and_then(|raw| r.check("email", check_email(raw)));
    let mobile_phone =
        phone_raw.and_then(|raw| r.check("mobile_phone", check_phone(raw, settings)));
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
    Contact {
        email,
        mobile_phone,
        business_phone,
        has_email: email_raw.is_some(),
        has_phone: phone_raw.is_some(),
    }
}

/// Where the user sits in the organisation: the values the tenant's directory governs.
pub(super) struct Placement {
    pub department_id: Option<DepartmentId>,
    pub location: Option<String>,
    pub job_description: Option<String>,
    pub business_unit: Option<String>,
    pub company: Option<String>,
}

pub(super) fn placement(
    draft: &UserDraft,
    settings: &TenantSettings,
    directory: &dyn Directory,
    r: &mut Report,
) -> Option<Placement> {
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
    Some(Placement {
        department_id: department_id?,
        location,
        job_description,
        business_unit: text(r, "business_unit", &draft.business_unit, TEXT_MAX),
        company: text(r, "company", &draft.company, TEXT_MAX),
    })
}

/// What the user is and may do.
pub(super) struct Classification {
    pub kind: UserKind,
    pub roles: BTreeSet<Role>,
    pub scope: Scope,
    pub priority: Priority,
    pub client_type: ClientType,
}

fn roles(draft: &UserDraft, r: &mut Report) -> Option<BTreeSet<Role>> {
    let Some(list) = &draft.roles else {
        return Some(BTreeSet::from([Role::Agent]));
    };
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

pub(super) fn classification(draft: &UserDraft, r: &mut Report) -> Option<Classification> {
    let kind = choice(r, "kind", &draft.kind, UserKind::Person);
    let roles = roles(draft, r);
    let scope = choice(r, "scope", &draft.scope, Scope::Simple);
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
    let client_type = choice(r, "client_type", &draft.client_type, ClientType::Unknown);
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
    Some(Classification {
        kind: kind?,
        roles: roles?,
        scope: scope?,
        priority: priority?,
        client_type: client_type?,
    })
}

/// How the user's device gets activated.
pub(super) struct Activation {
    pub activation_method: ActivationMethod,
    pub imei: Option<Imei>,
    pub send_text: bool,
}

pub(super) fn activation(draft: &UserDraft, has_phone: bool, r: &mut Report) -> Option<Activation> {
    let activation_method = choice(
        r,
        "activation_method",
        &draft.activation_method,
        ActivationMethod::Automatic,
    );
    let imei = match (activation_method, present(&draft.imei)) {
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
    if send_text && !has_phone {
        r.add(
            "send_text",
            "needs a mobile phone number to send the activation text to",
        );
    }
    Some(Activation {
        activation_method: activation_method?,
        imei,
        send_text,
    })
}

/// How the user appears and works in the client.
pub(super) struct Preferences {
    pub nickname: Option<String>,
    pub language: Option<String>,
    pub photo: Option<String>,
    pub show_photo: bool,
    pub maximal_contacts: bool,
    pub in_address_book: bool,
    pub max_live_chats: u32,
    pub max_nrt_chats: u32,
    pub customer_code: Option<String>,
    pub udid: Option<String>,
}

pub(super) fn preferences(draft: &UserDraft, r: &mut Report) -> Option<Preferences> {
    let nickname = text(r, "nickname", &draft.nickname, NAME_MAX);
    let language =
        present(&draft.language).and_then(|raw| r.check("language", check_language(raw)));
    let photo = text(r, "photo", &draft.photo, 1024);
    let customer_code = text(r, "customer_code", &draft.customer_code, 64);
    let udid = text(r, "udid", &draft.udid, 128);
    let max_live_chats = r.check("max_live_chats", check_chat_limit(draft.max_live_chats));
    let max_nrt_chats = r.check("max_nrt_chats", check_chat_limit(draft.max_nrt_chats));
    Some(Preferences {
        nickname,
        language,
        photo,
        show_photo: draft.show_photo.unwrap_or(false),
        maximal_contacts: draft.maximal_contacts.unwrap_or(true),
        in_address_book: draft.in_address_book.unwrap_or(false),
        max_live_chats: max_live_chats?,
        max_nrt_chats: max_nrt_chats?,
        customer_code,
        udid,
    })
}

/// Address ranges a user may list: enough for any office, small enough for the record.
pub const MAX_ALLOWED_IPS: usize = 50;

/// How the user signs in: the login name or e-mail, from where, with which password.
pub(super) struct SignIn {
    pub login_using: LoginUsing,
    pub allowed_ips: Vec<IpNet>,
    pub password: Option<Password>,
}

pub(super) fn sign_in(
    draft: &UserDraft,
    settings: &TenantSettings,
    has_email: bool,
    r: &mut Report,
) -> Option<SignIn> {
    let login_using = choice(r, "login_using", &draft.login_using, LoginUsing::LoginName);
    if matches!(login_using, Some(LoginUsing::Email | LoginUsing::Both)) && !has_email {
        r.add(
            "login_using",
            "signing in with the e-mail address needs an e-mail address",
        );
    }
    let mut allowed_ips = Vec::new();
    let given = draft.allowed_ips.as_deref().unwrap_or_default();
    if given.len() > MAX_ALLOWED_IPS {
        r.add(
            "allowed_ips",
            format!(
                "at most {MAX_ALLOWED_IPS} address ranges may be listed ({} given)",
                given.len()
            ),
        );
    }
    for (i, raw) in given.iter().take(MAX_ALLOWED_IPS).enumerate() {
        if let Some(net) = r.check(&format!("allowed_ips[{i}]"), check_ip_range(raw)) {
            allowed_ips.push(net);
        }
    }
    let password = draft.password.clone().filter(|p| !p.expose().is_empty());
    if let Some(p) = &password {
        let problems = policy_violations(&settings.password_policy, p.expose());
        if !problems.is_empty() {
            r.add("password", problems.join("; "));
        }
    }
    Some(SignIn {
        login_using: login_using?,
        allowed_ips,
        password,
    })
}

/// The user's groups and phones.
pub(super) struct Memberships {
    pub groups: BTreeSet<GroupId>,
    pub devices: Vec<Device>,
}

pub(super) fn memberships(
    draft: &UserDraft,
    directory: &dyn Directory,
    r: &mut Report,
) -> Memberships {
    let mut groups = BTreeSet::new();
    let given = draft.groups.as_deref().unwrap_or_default();
    if given.len() > GROUPS_PER_USER {
        r.add(
            "group_ids",
            format!(
                "a user may be in at most {GROUPS_PER_USER} groups ({} given)",
                given.len()
            ),
        );
    } else {
        for (i, raw) in given.iter().enumerate() {
            let field = format!("group_ids[{i}]");
            match GroupId::parse(raw.trim()) {
                Ok(id) if directory.has_group(&id) => {
                    groups.insert(id);
                }
                _ => r.add(
                    field,
                    format!(
                        "'{}' is not a group of your organisation (give its id, or in a sheet its name)",
                        raw.trim().chars().take(64).collect::<String>()
                    ),
                ),
            }
        }
    }
    let devices = check_devices(draft.devices.as_deref().unwrap_or_default(), r);
    Memberships { groups, devices }
}
