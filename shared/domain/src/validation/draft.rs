//! The draft: a user as a client, a spreadsheet row or a SCIM resource describes it, before
//! validation; and the one rule for laying a change over a user's current values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::FieldError;
use crate::directory::device::DeviceDraft;
use crate::password::Password;
use crate::user::UserProfile;

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
    #[serde(rename = "group_ids", alias = "groups")]
    pub groups: Option<Vec<String>>,
    pub devices: Option<Vec<DeviceDraft>>,
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
            devices: Some(p.devices.iter().map(DeviceDraft::from).collect()),
            password: None,
        }
    }
}

/// How a change is laid over a user's current values to make the draft that is validated.
/// Two entry points change existing users, and their inputs can say different things:
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The API's PATCH (a JSON merge patch, RFC 7396): a field sent as `null` is cleared, a
    /// field left out keeps its value.
    NullClears,
    /// An upsert import row: a blank cell keeps the user's value, since a sheet cannot tell
    /// "clear this" from "leave it alone".
    BlankKeeps,
}

/// The fields of a draft as a JSON object.
fn fields_of(draft: &UserDraft) -> Map<String, Value> {
    match serde_json::to_value(draft) {
        Ok(Value::Object(fields)) => fields,
        _ => unreachable!("a draft is a struct of plain fields and serializes to an object"),
    }
}

impl Overlay {
    /// `change` (draft fields as a JSON object) laid over `current`; a value of the wrong
    /// type is an error naming its field.
    pub fn apply(
        self,
        current: &UserProfile,
        change: Map<String, Value>,
    ) -> Result<UserDraft, FieldError> {
        let mut fields = fields_of(&UserDraft::from(current));
        for (name, mut value) in change {
            if self == Overlay::BlankKeeps && value.is_null() {
                continue;
            }
            if self == Overlay::BlankKeeps && name == "devices" {
                value = with_current_devices(fields.get("devices"), value);
            }
            fields.insert(name, value);
        }
        decode_draft(fields)
    }
}

/// A sheet's Extension cell adds desk phones: the user keeps its devices (ids, kinds, MACs),
/// and only extensions it does not have yet are added.
fn with_current_devices(current: Option<&Value>, row: Value) -> Value {
    let mut devices = current
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has = |devices: &[Value], extension: &Value| {
        devices
            .iter()
            .any(|d| d.get("extension") == Some(extension))
    };
    for device in row.as_array().into_iter().flatten() {
        if let Some(extension) = device.get("extension")
            && !has(&devices, extension)
        {
            devices.push(device.clone());
        }
    }
    Value::Array(devices)
}

impl UserDraft {
    /// This draft laid over `current` by `rule`.
    pub fn laid_over(&self, current: &UserProfile, rule: Overlay) -> Result<UserDraft, FieldError> {
        rule.apply(current, fields_of(self))
    }
}

/// A JSON object as a draft; a wrong type or an unknown field is an error naming the field.
pub fn decode_draft(fields: Map<String, Value>) -> Result<UserDraft, FieldError> {
    decode_named(Value::Object(fields), "")
}

/// Decodes `value`, naming the field of a type error by its path under `prefix`
/// (`rules[2].` + `ring_seconds`).
pub fn decode_named<T: serde::de::DeserializeOwned>(
    value: Value,
    prefix: &str,
) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let message = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        let field = match path.as_str() {
            "." | "" => prefix.trim_end_matches('.').to_owned(),
            _ => format!("{prefix}{path}"),
        };
        FieldError::new(field, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::validate_user;

    fn current() -> UserProfile {
        let draft = UserDraft {
            login: Some("ana.ruiz".into()),
            first_name: Some("Ana".into()),
            last_name: Some("Ruiz".into()),
            email: Some("ana@example.com".into()),
            nickname: Some("Ani".into()),
            ..Default::default()
        };
        let directory = std::collections::BTreeSet::new();
        validate_user(&draft, &Default::default(), &directory)
            .expect("a valid user")
            .profile
    }

    #[test]
    fn a_patch_null_clears_and_a_missing_field_keeps() {
        let change = serde_json::json!({"nickname": null, "first_name": "Anabel"});
        let Value::Object(change) = change else {
            unreachable!()
        };
        let draft = Overlay::NullClears.apply(&current(), change).unwrap();
        assert_eq!(draft.nickname, None);
        assert_eq!(draft.first_name.as_deref(), Some("Anabel"));
        assert_eq!(draft.email.as_deref(), Some("ana@example.com"));
    }

    #[test]
    fn a_blank_cell_keeps_the_users_value() {
        let row = UserDraft {
            login: Some("ana.ruiz".into()),
            first_name: Some("Anabel".into()),
            ..Default::default()
        };
        let draft = row.laid_over(&current(), Overlay::BlankKeeps).unwrap();
        assert_eq!(draft.nickname.as_deref(), Some("Ani"));
        assert_eq!(draft.first_name.as_deref(), Some("Anabel"));
    }

    #[test]
    fn a_wrong_type_names_its_field() {
        let Value::Object(change) = serde_json::json!({"priority": "high"}) else {
            unreachable!()
        };
        let error = Overlay::NullClears.apply(&current(), change).unwrap_err();
        assert_eq!(error.field, "priority");
    }
}
