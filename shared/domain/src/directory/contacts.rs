//! What a contact list and the global address book show of a person or a shared contact:
//! enough to reach them, nothing an admin-only view holds.

use serde::Serialize;

use crate::directory::shared_contact::SharedContact;
use crate::user::User;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    User,
    Shared,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactEntry {
    #[serde(rename = "type")]
    pub kind: ContactKind,
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
    /// A short-lived link, only for users who show their photo (`show_photo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    /// The photo's object key, turned into `photo_url` by the caller that can sign links.
    #[serde(skip)]
    pub photo_key: Option<String>,
}

impl From<&User> for ContactEntry {
    fn from(u: &User) -> Self {
        let p = &u.profile;
        Self {
            kind: ContactKind::User,
            id: u.id.to_string(),
            name: format!("{} {}", p.first_name, p.last_name),
            first_name: Some(p.first_name.clone()),
            last_name: Some(p.last_name.clone()),
            email: p.email.as_ref().map(ToString::to_string),
            mobile_phone: p.mobile_phone.as_ref().map(ToString::to_string),
            phone: p.business_phone.clone(),
            company: p.company.clone(),
            department_id: p.department_id.as_ref().map(ToString::to_string),
            extensions: p.devices.iter().map(|d| d.extension.clone()).collect(),
            photo_url: None,
            photo_key: p.photo.clone().filter(|_| p.show_photo),
        }
    }
}

impl From<&SharedContact> for ContactEntry {
    fn from(c: &SharedContact) -> Self {
        Self {
            kind: ContactKind::Shared,
            id: c.id.to_string(),
            name: c.name.clone(),
            first_name: None,
            last_name: None,
            email: c.email.as_ref().map(ToString::to_string),
            mobile_phone: None,
            phone: c.phone.as_ref().map(ToString::to_string),
            company: c.company.clone(),
            department_id: None,
            extensions: Vec::new(),
            photo_url: None,
            photo_key: None,
        }
    }
}
