//! A user as SCIM shows it, and a SCIM user as the fields of the one user record: `userName`
//! is the login, `name` the first and last name, one work e-mail, a mobile and a work number,
//! `active` the status, the enterprise extension's `department` a department by name, and
//! `externalId`, `displayName` and `employeeNumber` kept as the provider sent them. What the
//! record does not hold is ignored on write and never made up on read.

use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

use super::error::ScimError;
use super::eval::get_ci;
use super::schema::{ENTERPRISE_USER, USER_SCHEMA};
use crate::enums::UserStatus;
use crate::ids::DepartmentId;
use crate::user::{Provisioned, User};

/// Longest `externalId`, `displayName` or `employeeNumber` kept.
pub const MAX_PROVIDER_TEXT: usize = 256;

/// What a SCIM user body says, in the record's terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScimUser {
    pub user_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phone: Option<String>,
    pub active: Option<bool>,
    pub provisioned: Provisioned,
    /// The enterprise extension's department name.
    pub department: Option<String>,
}

fn text(value: &Value, attribute: &str) -> Result<Option<String>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned())),
        _ => Err(ScimError::invalid_value(format!(
            "{attribute}: must be a string"
        ))),
    }
}

fn provider_text(value: Option<&Value>, attribute: &str) -> Result<Option<String>, ScimError> {
    let Some(value) = value else { return Ok(None) };
    let text = text(value, attribute)?;
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_PROVIDER_TEXT || t.chars().any(char::is_control))
    {
        return Err(ScimError::invalid_value(format!(
            "{attribute}: must be at most {MAX_PROVIDER_TEXT} characters without control characters"
        )));
    }
    Ok(text)
}

/// A boolean, or Entra ID's `"True"` / `"False"`.
pub fn boolean(value: &Value, attribute: &str) -> Result<Option<bool>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(ScimError::invalid_value(format!(
                "{attribute}: must be true or false"
            ))),
        },
        _ => Err(ScimError::invalid_value(format!(
            "{attribute}: must be true or false"
        ))),
    }
}

/// The values of a multi-valued attribute (a single object is taken as a list of one).
fn values<'a>(
    object: &'a Map<String, Value>,
    attribute: &str,
) -> Result<Vec<&'a Map<String, Value>>, ScimError> {
    match get_ci(object, attribute) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_object().ok_or_else(|| {
                    ScimError::invalid_value(format!("{attribute}: each value must be an object"))
                })
            })
            .collect(),
        Some(Value::Object(o)) => Ok(vec![o]),
        Some(_) => Err(ScimError::invalid_value(format!(
            "{attribute}: must be a list of objects"
        ))),
    }
}

fn kind_of(value: &Map<String, Value>) -> Option<String> {
    get_ci(value, "type")
        .and_then(Value::as_str)
        .map(|t| t.trim().to_ascii_lowercase())
}

fn is_primary(value: &Map<String, Value>) -> bool {
    get_ci(value, "primary").is_some_and(|p| matches!(boolean(p, "primary"), Ok(Some(true))))
}

/// The one value kept of several: the primary one, else the last sent (so an `add` of a new
/// address replaces the one the record holds).
fn chosen<'a>(candidates: &[&'a Map<String, Value>]) -> Option<&'a Map<String, Value>> {
    candidates
        .iter()
        .find(|v| is_primary(v))
        .or_else(|| candidates.last())
        .copied()
}

fn value_text(
    chosen: Option<&Map<String, Value>>,
    attribute: &str,
) -> Result<Option<String>, ScimError> {
    match chosen.and_then(|c| get_ci(c, "value")) {
        None => Ok(None),
        Some(v) => text(v, &format!("{attribute}.value")),
    }
}

/// Reads a SCIM user body (POST or PUT, or a resource after PATCH operations).
pub fn read_user(body: &Map<String, Value>) -> Result<ScimUser, ScimError> {
    let mut user = ScimUser {
        user_name: match get_ci(body, "userName") {
            Some(v) => text(v, "userName")?,
            None => None,
        },
        ..ScimUser::default()
    };
    match get_ci(body, "name") {
        None | Some(Value::Null) => {}
        Some(Value::Object(name)) => {
            if let Some(v) = get_ci(name, "givenName") {
                user.given_name = text(v, "name.givenName")?;
            }
            if let Some(v) = get_ci(name, "familyName") {
                user.family_name = text(v, "name.familyName")?;
            }
        }
        Some(_) => return Err(ScimError::invalid_value("name: must be an object")),
    }
    let emails = values(body, "emails")?;
    user.email = value_text(chosen(&emails), "emails")?;
    let phones = values(body, "phoneNumbers")?;
    // Untyped numbers are taken as mobile; home, fax and pager numbers are not kept.
    let of_kind = |wanted: &[Option<&str>]| -> Vec<&Map<String, Value>> {
        phones
            .iter()
            .copied()
            .filter(|p| wanted.contains(&kind_of(p).as_deref()))
            .collect()
    };
    let mobile = of_kind(&[Some("mobile"), None]);
    let work = of_kind(&[Some("work")]);
    user.mobile_phone = value_text(chosen(&mobile), "phoneNumbers")?;
    user.business_phone = value_text(chosen(&work), "phoneNumbers")?;
    if let Some(active) = get_ci(body, "active") {
        user.active = boolean(active, "active")?;
    }
    user.provisioned = Provisioned {
        external_id: provider_text(get_ci(body, "externalId"), "externalId")?,
        display_name: provider_text(get_ci(body, "displayName"), "displayName")?,
        employee_number: None,
    };
    match get_ci(body, ENTERPRISE_USER) {
        None | Some(Value::Null) => {}
        Some(Value::Object(enterprise)) => {
            user.provisioned.employee_number =
                provider_text(get_ci(enterprise, "employeeNumber"), "employeeNumber")?;
            user.department = match get_ci(enterprise, "department") {
                Some(v) => text(v, "department")?,
                None => None,
            };
        }
        Some(_) => {
            return Err(ScimError::invalid_value(format!(
                "{ENTERPRISE_USER}: must be an object"
            )));
        }
    }
    Ok(user)
}

impl ScimUser {
    /// The record's fields this body sets; `null` clears a field the body leaves out, as a
    /// SCIM replace does.
    pub fn fields(&self, department: Option<&DepartmentId>) -> Map<String, Value> {
        let mut fields = Map::new();
        let mut put = |name: &str, value: Option<&str>| {
            fields.insert(
                name.to_owned(),
                value.map_or(Value::Null, |v| Value::String(v.to_owned())),
            );
        };
        put("login", self.user_name.as_deref());
        put("first_name", self.given_name.as_deref());
        put("last_name", self.family_name.as_deref());
        put("email", self.email.as_deref());
        put("mobile_phone", self.mobile_phone.as_deref());
        put("business_phone", self.business_phone.as_deref());
        put("department_id", department.map(DepartmentId::as_str));
        fields
    }
}

fn time(at: time::OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// `meta.version` and the ETag of a user.
pub fn user_version(user: &User) -> String {
    format!("W/\"{}\"", user.version)
}

/// The user as a SCIM resource.
pub fn user_resource(user: &User, department: Option<&str>, base: &str) -> Map<String, Value> {
    let p = &user.profile;
    let provisioned = user.provisioned.clone().unwrap_or_default();
    let mut r = Map::new();
    let mut schemas = vec![json!(USER_SCHEMA)];
    r.insert("id".into(), json!(user.id.to_string()));
    if let Some(x) = &provisioned.external_id {
        r.insert("externalId".into(), json!(x));
    }
    r.insert("userName".into(), json!(p.login.as_str()));
    r.insert(
        "name".into(),
        json!({"givenName": p.first_name, "familyName": p.last_name}),
    );
    if let Some(d) = &provisioned.display_name {
        r.insert("displayName".into(), json!(d));
    }
    r.insert("active".into(), json!(user.status == UserStatus::Active));
    if let Some(e) = &p.email {
        r.insert(
            "emails".into(),
            json!([{"value": e.as_str(), "type": "work"}]),
        );
    }
    let mut phones = vec![];
    if let Some(m) = &p.mobile_phone {
        phones.push(json!({"value": m.as_str(), "type": "mobile"}));
    }
    if let Some(w) = &p.business_phone {
        phones.push(json!({"value": w, "type": "work"}));
    }
    if !phones.is_empty() {
        r.insert("phoneNumbers".into(), Value::Array(phones));
    }
    if !p.groups.is_empty() {
        let groups: Vec<Value> = p
            .groups
            .iter()
            .map(|g| json!({"value": g.as_str(), "$ref": format!("{base}/Groups/{g}")}))
            .collect();
        r.insert("groups".into(), Value::Array(groups));
    }
    let mut enterprise = Map::new();
    if let Some(n) = &provisioned.employee_number {
        enterprise.insert("employeeNumber".into(), json!(n));
    }
    if let Some(d) = department {
        enterprise.insert("department".into(), json!(d));
    }
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE_USER));
        r.insert(ENTERPRISE_USER.into(), Value::Object(enterprise));
    }
    r.insert("schemas".into(), Value::Array(schemas));
    r.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": time(user.created.at),
            "lastModified": time(user.updated.at),
            "location": format!("{base}/Users/{}", user.id),
            "version": user_version(user),
        }),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn okta_create_body_maps_onto_the_record() {
        let u = read_user(&body(json!({
            "schemas": [USER_SCHEMA],
            "userName": "isabella.lee",
            "name": {"givenName": "Isabella", "familyName": "Lee"},
            "emails": [
                {"primary": false, "value": "home@example.com", "type": "home"},
                {"primary": true, "value": "isabella.lee@example.com", "type": "work"}
            ],
            "phoneNumbers": [{"value": "201-555-0123", "type": "mobile"}, {"value": "+12015550100", "type": "work"}],
            "displayName": "Isabella Lee",
            "locale": "en-US",
            "externalId": "00u1",
            "active": true,
            "password": "never stored",
            ENTERPRISE_USER: {"department": "Sales", "employeeNumber": "42"}
        })))
        .unwrap();
        assert_eq!(u.user_name.as_deref(), Some("isabella.lee"));
        assert_eq!(u.email.as_deref(), Some("isabella.lee@example.com"));
        assert_eq!(u.mobile_phone.as_deref(), Some("201-555-0123"));
        assert_eq!(u.business_phone.as_deref(), Some("+12015550100"));
        assert_eq!(u.active, Some(true));
        assert_eq!(u.department.as_deref(), Some("Sales"));
        assert_eq!(u.provisioned.employee_number.as_deref(), Some("42"));
        let fields = u.fields(None);
        assert_eq!(fields["login"], "isabella.lee");
        assert!(!fields.contains_key("password"));
    }

    #[test]
    fn wrong_types_name_the_attribute() {
        for (bad, attribute) in [
            (json!({"userName": 7}), "userName"),
            (json!({"name": "x"}), "name"),
            (json!({"active": "maybe"}), "active"),
            (json!({"emails": "x@example.com"}), "emails"),
            (json!({"emails": [{"value": 1}]}), "emails.value"),
            (json!({"externalId": "a\u{0}b"}), "externalId"),
        ] {
            let e = read_user(&body(bad)).unwrap_err();
            assert!(e.detail.starts_with(attribute), "{}", e.detail);
            assert_eq!(e.scim_type, Some("invalidValue"));
        }
    }
}
