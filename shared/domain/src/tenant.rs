//! A tenant's settings: the policy every user of that organisation is validated against.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 3166-1 alpha-2 country that has a phone numbering plan (`US`, `DE`, `FR`…).
///
/// It decides how numbers typed without a `+` are read and which numbers may receive SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country(phonenumber::country::Id);

impl Country {
    pub const US: Country = Country(phonenumber::country::Id::US);

    pub fn parse(code: &str) -> Option<Self> {
        let upper = code.trim().to_ascii_uppercase();
        phonenumber::country::Id::from_str(&upper).ok().map(Self)
    }

    pub fn id(self) -> phonenumber::country::Id {
        self.0
    }

    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Country::parse(&raw).ok_or_else(|| {
            serde::de::Error::custom(format!("'{raw}' is not a two-letter country code"))
        })
    }
}

/// What a password must contain. Checked on set and met by generated passwords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    pub min_length: u8,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 10,
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_symbol: false,
        }
    }
}

/// Per-tenant policy. A tenant that never stored settings gets [`TenantSettings::default`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantSettings {
    /// Country assumed for phone numbers typed without a country code; also the only country
    /// SMS is sent to (no international SMS).
    pub default_country: Country,
    /// ESChat's policy is 3; most tenants keep 1.
    pub last_name_min_length: u8,
    pub require_email: bool,
    pub require_mobile_phone: bool,
    /// Every user must belong to a department (ESChat, customer care); off by default, since
    /// seeds 001 and 002 have no departments.
    pub require_department: bool,
    /// Logins may be e-mail addresses (seeds 002, 003); a blank e-mail then takes the login.
    pub logins_may_be_emails: bool,
    /// How invitations name the organisation ("Acme Field Services"); absent: the tenant id.
    pub display_name: Option<String>,
    pub password_policy: PasswordPolicy,
    /// Alphanumeric SMS sender id, where the destination country supports one.
    pub sms_sender_id: Option<String>,
    /// A department an identity provider names over SCIM (enterprise `department`) that the
    /// tenant does not have is created, as Okta- and Entra-synced directories expect; off: the
    /// user is refused naming the attribute.
    pub scim_creates_departments: bool,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            default_country: Country::US,
            last_name_min_length: 1,
            require_email: false,
            require_mobile_phone: false,
            require_department: false,
            logins_may_be_emails: false,
            display_name: None,
            password_policy: PasswordPolicy::default(),
            sms_sender_id: None,
            scim_creates_departments: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_us_and_lenient_names() {
        let s = TenantSettings::default();
        assert_eq!(s.default_country.code(), "US");
        assert_eq!(s.last_name_min_length, 1);
    }

    #[test]
    fn countries_parse_case_insensitively_and_reject_unknowns() {
        assert_eq!(Country::parse("de").unwrap().code(), "DE");
        assert!(Country::parse("XX").is_none());
        assert!(Country::parse("").is_none());
    }

    #[test]
    fn settings_round_trip_through_json() {
        let json = r#"{"default_country":"FR","last_name_min_length":3}"#;
        let s: TenantSettings = serde_json::from_str(json).unwrap();
        assert_eq!(s.default_country.code(), "FR");
        assert_eq!(s.last_name_min_length, 3);
        assert_eq!(s.password_policy, PasswordPolicy::default());
        let back: TenantSettings =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
