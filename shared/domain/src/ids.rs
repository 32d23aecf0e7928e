//! Newtype identifiers.
//!
//! Every id that can arrive from outside (a path, a token claim, a spreadsheet) is parsed into
//! one of these before it reaches storage, so a malformed id is a 4xx at the edge and can never
//! be smuggled into a key (a `#` in a tenant id would otherwise let it address another
//! tenant's items).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

/// Why a string is not a valid id of some kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub String);

/// Ids made of a short, key-safe token: letters, digits, `-` and `_`.
fn check_token(kind: &str, value: &str, max: usize) -> Result<(), InvalidId> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(InvalidId(format!(
            "{kind} must be 1 to {max} letters, digits, '-' or '_'"
        )))
    }
}

macro_rules! token_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                check_token($kind, value, $max)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A server-made id for a client that sends only a name (a lower-case ULID, so
            /// entries sort by creation).
            pub fn generate() -> Self {
                Self(Ulid::new().to_string().to_lowercase())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

token_id!(
    /// One organisation. Comes only from verified claims (or the S3 drop prefix).
    TenantId,
    "tenant id",
    64
);
token_id!(
    /// A department (business unit) of a tenant; admins may choose readable ids like `sales`.
    DepartmentId,
    "department id",
    64
);
token_id!(
    /// A group of a tenant.
    GroupId,
    "group id",
    64
);
token_id!(
    /// A phone or extension attached to a user.
    DeviceId,
    "device id",
    64
);
token_id!(
    /// A contact shared across the organisation (reception, a supplier's hotline).
    SharedContactId,
    "contact id",
    64
);
token_id!(
    /// An entry of a tenant's pick list (a location, a job description).
    PickEntryId,
    "entry id",
    64
);

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Ulid);

        impl $name {
            /// A fresh id; ULIDs sort by creation time, which list pages rely on.
            pub fn generate() -> Self {
                Self(Ulid::new())
            }

            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                Ulid::from_string(value)
                    .map(Self)
                    .map_err(|_| InvalidId(format!("{} is not a valid {}", shorten(value), $kind)))
            }

            pub fn ulid(&self) -> Ulid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

ulid_id!(
    /// A user; generated, immutable, sorts by creation.
    UserId,
    "user id"
);
ulid_id!(
    /// An import job.
    ImportJobId,
    "import job id"
);
ulid_id!(
    /// An export job: a tenant's users written to S3 in parts, across invocations.
    ExportJobId,
    "export id"
);
ulid_id!(
    /// A tenant's SCIM token (the secret is never stored, only its hash).
    ScimTokenId,
    "SCIM token id"
);

/// Echoing a whole hostile input back in an error message helps nobody.
fn shorten(value: &str) -> String {
    let cut: String = value.chars().take(40).collect();
    if cut.len() < value.len() {
        format!("'{cut}…'")
    } else {
        format!("'{cut}'")
    }
}

/// Who did something: the `sub` claim of an admin, or a system actor such as the importer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_cannot_carry_key_separators() {
        assert!(TenantId::parse("acme").is_ok());
        assert!(TenantId::parse("acme-eu_1").is_ok());
        for bad in ["", "a#b", "a b", "ä", &"x".repeat(65)] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn user_ids_round_trip_and_reject_garbage() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(&id.to_string()).unwrap(), id);
        assert!(UserId::parse("not-a-ulid").is_err());
        assert!(UserId::parse("").is_err());
    }

    #[test]
    fn user_ids_sort_by_creation() {
        let a = UserId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = UserId::generate();
        assert!(a.to_string() < b.to_string());
    }
}
