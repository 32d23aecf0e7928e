//! One spreadsheet row → a [`UserDraft`], so rows go through the very validation the API uses.
//!
//! Only what a cell cannot even say is reported here (a priority of `high`, a send-text flag of
//! `maybe`); everything else is the validation's job.

use super::columns::{Column, HeaderMap};
use crate::directory::device::DeviceDraft;
use crate::password::Password;
use crate::validation::{FieldError, UserDraft};

/// `yes`, `true`, `1`, `x`, `y` / `no`, `false`, `0`, `n`, empty.
fn flag(raw: &str) -> Result<Option<bool>, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "y" | "true" | "1" | "x" | "on" => Ok(Some(true)),
        "no" | "n" | "false" | "0" | "off" => Ok(Some(false)),
        other => Err(format!("'{other}' is not yes or no")),
    }
}

fn number(raw: &str) -> Result<Option<i64>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i64>()
        .map(Some)
        .map_err(|_| format!("'{t}' is not a whole number"))
}

/// `a; b, c` → `[a, b, c]`.
fn list(raw: &str) -> Option<Vec<String>> {
    let items: Vec<String> = raw
        .split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    (!items.is_empty()).then_some(items)
}

/// A text cell; a leading `'` (how exports neutralise formulas) is dropped.
fn text(raw: &str) -> Option<String> {
    let t = raw.trim();
    let t = t.strip_prefix('\'').unwrap_or(t);
    (!t.is_empty()).then(|| t.to_owned())
}

/// The draft a row describes, or the cells that cannot be read at all.
pub fn draft_from_row(map: &HeaderMap, cells: &[String]) -> Result<UserDraft, Vec<FieldError>> {
    let mut draft = UserDraft::default();
    let mut errors = Vec::new();
    for (position, column) in map.columns.iter().enumerate() {
        let Some(column) = column else { continue };
        let raw = cells.get(position).map(String::as_str).unwrap_or("");
        let field = column.canonical();
        let mut bool_into = |target: &mut Option<bool>| match flag(raw) {
            Ok(v) => *target = v,
            Err(e) => errors.push(FieldError::new(field, e)),
        };
        match column {
            Column::SendText => bool_into(&mut draft.send_text),
            Column::MaximalContacts => bool_into(&mut draft.maximal_contacts),
            Column::InAddressBook => bool_into(&mut draft.in_address_book),
            Column::ShowPhoto => bool_into(&mut draft.show_photo),
            Column::Priority | Column::MaxLiveChats | Column::MaxNrtChats => match number(raw) {
                Ok(v) => match column {
                    Column::Priority => draft.priority = v,
                    Column::MaxLiveChats => draft.max_live_chats = v,
                    _ => draft.max_nrt_chats = v,
                },
                Err(e) => errors.push(FieldError::new(field, e)),
            },
            Column::Roles => draft.roles = list(raw),
            Column::AllowedIps => draft.allowed_ips = list(raw),
            Column::Groups => draft.groups = list(raw),
            // Each extension in the cell becomes a desk phone.
            Column::Extension => {
                draft.devices = list(raw).map(|extensions| {
                    extensions
                        .into_iter()
                        .map(|e| DeviceDraft {
                            extension: Some(e),
                            ..DeviceDraft::default()
                        })
                        .collect()
                })
            }
            Column::Password => draft.password = text(raw).map(Password::new),
            Column::Login => draft.login = text(raw),
            Column::FirstName => draft.first_name = text(raw),
            Column::LastName => draft.last_name = text(raw),
            Column::Email => draft.email = text(raw),
            Column::MobilePhone => draft.mobile_phone = text(raw),
            Column::BusinessPhone => draft.business_phone = text(raw),
            Column::DepartmentId => draft.department_id = text(raw),
            Column::Kind => draft.kind = text(raw),
            Column::Scope => draft.scope = text(raw),
            Column::ClientType => draft.client_type = text(raw),
            Column::ActivationMethod => draft.activation_method = text(raw),
            Column::Imei => draft.imei = text(raw),
            Column::Nickname => draft.nickname = text(raw),
            Column::Language => draft.language = text(raw),
            Column::LoginUsing => draft.login_using = text(raw),
            Column::BusinessUnit => draft.business_unit = text(raw),
            Column::Location => draft.location = text(raw),
            Column::JobDescription => draft.job_description = text(raw),
            Column::Company => draft.company = text(raw),
            Column::CustomerCode => draft.customer_code = text(raw),
            Column::Udid => draft.udid = text(raw),
        }
    }
    if errors.is_empty() {
        Ok(draft)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(headers: &[&str]) -> HeaderMap {
        HeaderMap::new(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn cells_become_a_draft() {
        let m = map(&[
            "Login",
            "First Name",
            "Last Name",
            "Department",
            "Email",
            "Send Text",
            "Priority",
            "Roles",
            "Notes",
        ]);
        let cells: Vec<String> = [
            "Bus.57",
            " Ann ",
            "Lee",
            "sales",
            "'ann@example.com",
            "Yes",
            "3",
            "agent; analyst",
            "hello",
        ]
        .map(String::from)
        .to_vec();
        let d = draft_from_row(&m, &cells).unwrap();
        assert_eq!(d.login.as_deref(), Some("Bus.57"));
        assert_eq!(d.first_name.as_deref(), Some("Ann"));
        assert_eq!(d.email.as_deref(), Some("ann@example.com"));
        assert_eq!(d.send_text, Some(true));
        assert_eq!(d.priority, Some(3));
        assert_eq!(d.roles, Some(vec!["agent".into(), "analyst".into()]));
    }

    #[test]
    fn unreadable_cells_are_field_errors_and_short_rows_are_blank() {
        let m = map(&[
            "Login",
            "First Name",
            "Last Name",
            "Department",
            "Email",
            "Send Text",
            "Priority",
        ]);
        let cells: Vec<String> = ["a", "b", "c", "d", "e", "maybe", "high"]
            .map(String::from)
            .to_vec();
        let errors = draft_from_row(&m, &cells).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["send_text", "priority"]);
        let short = draft_from_row(&m, &["only.login".to_owned()]).unwrap();
        assert_eq!(short.first_name, None);
    }
}
