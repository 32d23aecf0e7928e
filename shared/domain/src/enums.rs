//! The closed sets of values a user record uses.
//!
//! Each enum has one canonical snake_case spelling (JSON, storage, exports) and a loose parser
//! so that a spreadsheet saying `Team Manager` or `team-manager` means `team_manager`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Lower-cases and folds spaces and dashes to `_`, the way admins type these values.
fn loosen(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A closed set of values with loose parsing: what validation needs to check one.
pub trait ClosedSet: Sized + Copy {
    fn parse_loose(raw: &str) -> Option<Self>;
    /// `a`, `b` or `c`: for error messages.
    fn choices() -> String;
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Accepts the canonical spelling in any case, with spaces or dashes for `_`.
            pub fn parse_loose(raw: &str) -> Option<Self> {
                let wanted = loosen(raw);
                Self::ALL.iter().copied().find(|v| v.as_str() == wanted)
            }

            /// `a`, `b` or `c`: for error messages.
            pub fn choices() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} or {}", rest.join(", "), last),
                    _ => names.join(""),
                }
            }
        }

        impl ClosedSet for $name {
            fn parse_loose(raw: &str) -> Option<Self> {
                $name::parse_loose(raw)
            }

            fn choices() -> String {
                $name::choices()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $name::parse_loose(&raw).ok_or_else(|| {
                    serde::de::Error::custom(format!("'{raw}' is not one of {}", $name::choices()))
                })
            }
        }
    };
}

string_enum!(
    /// A person, or a system user that answers calls on the organisation's behalf.
    UserKind {
        Person => "person",
        ConferenceBridge => "conference_bridge",
        AutoAttendant => "auto_attendant",
        CallQueue => "call_queue",
        RtpGateway => "rtp_gateway",
    }
);

impl UserKind {
    /// Lists may hide system users.
    pub fn is_system(self) -> bool {
        self != UserKind::Person
    }

    /// An RTP gateway has no device that reports its type when it provisions, so it must name
    /// its client type (ESChat); the PBX system users need none.
    pub fn needs_client_type(self) -> bool {
        self == UserKind::RtpGateway
    }
}

string_enum!(
    /// What a user does in the contact centre.
    Role {
        TeamManager => "team_manager",
        Agent => "agent",
        Analyst => "analyst",
        AgentTester => "agent_tester",
    }
);

string_enum!(
    /// How much of the admin portal the user may use.
    Scope {
        Simple => "simple",
        Basic => "basic",
        Advanced => "advanced",
        CallCenterAgent => "call_center_agent",
    }
);

string_enum!(
    /// The device a user runs.
    ClientType {
        Unknown => "unknown",
        Android => "android",
        Ios => "ios",
        Windows => "windows",
        Macos => "macos",
        Linux => "linux",
        Web => "web",
        RtpGateway => "rtp_gateway",
    }
);

string_enum!(
    /// `automatic`: a code sent by SMS or e-mail; `manual`: the device proves itself by IMEI.
    ActivationMethod {
        Automatic => "automatic",
        Manual => "manual",
    }
);

string_enum!(
    /// Disabling denies access but keeps the user and their history.
    UserStatus {
        Active => "active",
        Disabled => "disabled",
    }
);

string_enum!(
    /// What the user types to sign in.
    LoginUsing {
        LoginName => "login_name",
        Email => "email",
        Both => "both",
    }
);

string_enum!(
    /// What kind of phone a device is [004].
    DeviceKind {
        DeskPhone => "desk_phone",
        Softphone => "softphone",
        MobileApp => "mobile_app",
    }
);

string_enum!(
    /// A day an answering rule applies on.
    Weekday {
        Mon => "mon",
        Tue => "tue",
        Wed => "wed",
        Thu => "thu",
        Fri => "fri",
        Sat => "sat",
        Sun => "sun",
    }
);

string_enum!(
    /// What an answering rule does with a call.
    RuleAction {
        Ring => "ring",
        Forward => "forward",
        Voicemail => "voicemail",
        Busy => "busy",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_parsing_accepts_what_admins_type() {
        assert_eq!(Role::parse_loose("Team Manager"), Some(Role::TeamManager));
        assert_eq!(Role::parse_loose(" agent-tester "), Some(Role::AgentTester));
        assert_eq!(
            ClientType::parse_loose("RTP_Gateway"),
            Some(ClientType::RtpGateway)
        );
        assert_eq!(Role::parse_loose("boss"), None);
        assert_eq!(Role::parse_loose(""), None);
    }

    #[test]
    fn choices_read_like_a_sentence() {
        assert_eq!(ActivationMethod::choices(), "automatic or manual");
        assert_eq!(
            UserStatus::choices(),
            "active or disabled",
            "two values joined with 'or'"
        );
        assert!(Role::choices().starts_with("team_manager, agent, "));
    }

    #[test]
    fn serde_uses_the_canonical_spelling() {
        assert_eq!(
            serde_json::to_string(&UserKind::CallQueue).unwrap(),
            "\"call_queue\""
        );
        let k: UserKind = serde_json::from_str("\"Auto Attendant\"").unwrap();
        assert_eq!(k, UserKind::AutoAttendant);
        assert!(k.is_system());
        assert!(!UserKind::Person.is_system());
        assert!(serde_json::from_str::<UserKind>("\"robot\"").is_err());
    }
}
