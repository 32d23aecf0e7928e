//! Contacts shared across the organisation [004]: reception, the help desk, a supplier's
//! hotline. They appear in every user's contacts and in the global address book.

use serde::{Deserialize, Serialize};

use crate::ids::{SharedContactId, TenantId};
use crate::tenant::TenantSettings;
use crate::user::{EmailAddress, PhoneNumber, Stamp};
use crate::validation::values::check_text;
use crate::validation::{NAME_MAX, Report, ValidationErrors, check_email, check_phone};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedContact {
    pub id: SharedContactId,
    pub tenant_id: TenantId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    pub created: Stamp,
    pub updated: Stamp,
}

/// A shared contact as a client describes it (create body, or a patch laid over one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedContactDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
}

impl From<&SharedContact> for SharedContactDraft {
    fn from(c: &SharedContact) -> Self {
        Self {
            id: None,
            name: Some(c.name.clone()),
            phone: c.phone.as_ref().map(ToString::to_string),
            email: c.email.as_ref().map(ToString::to_string),
            company: c.company.clone(),
        }
    }
}

/// The checked fields of a shared contact.
#[derive(Debug)]
pub struct ValidSharedContact {
    pub name: String,
    pub phone: Option<PhoneNumber>,
    pub email: Option<EmailAddress>,
    pub company: Option<String>,
}

/// A name, and a phone number or an e-mail address to reach the contact at.
pub fn validate_shared_contact(
    draft: &SharedContactDraft,
    settings: &TenantSettings,
) -> Result<ValidSharedContact, ValidationErrors> {
    let mut r = Report::default();
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let name = match given(&draft.name) {
        None => {
            r.add("name", "is required");
            None
        }
        Some(n) => r.check("name", check_text(&n, NAME_MAX)),
    };
    let phone = given(&draft.phone).and_then(|p| r.check("phone", check_phone(&p, settings)));
    let email = given(&draft.email).and_then(|e| r.check("email", check_email(&e)));
    if given(&draft.phone).is_none() && given(&draft.email).is_none() {
        r.add("phone", "give a phone number or an e-mail address");
    }
    let company = given(&draft.company).and_then(|c| r.check("company", check_text(&c, NAME_MAX)));
    let valid = name.map(|name| ValidSharedContact {
        name,
        phone,
        email,
        company,
    });
    r.finish(valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_needs_a_name_and_a_way_to_reach_it() {
        let ok = validate_shared_contact(
            &SharedContactDraft {
                name: Some("Reception".into()),
                phone: Some("201 555 0100".into()),
                ..Default::default()
            },
            &TenantSettings::default(),
        )
        .unwrap();
        assert_eq!(ok.phone.unwrap().as_str(), "+12015550100");
        let e = validate_shared_contact(&SharedContactDraft::default(), &TenantSettings::default())
            .unwrap_err();
        assert!(e.mentions("name") && e.mentions("phone"));
    }
}
