//! A user's voicemail box [004]. The PIN is write-only: stored as an argon2id hash, never
//! returned, logged or exported.

use serde::{Deserialize, Serialize};

use crate::password::PasswordHash;
use crate::user::EmailAddress;
use crate::validation::values::check_text;
use crate::validation::{Report, TEXT_MAX, ValidationErrors, check_email};

pub const PIN_MIN: usize = 4;
pub const PIN_MAX: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voicemail {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<PasswordHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_email: Option<EmailAddress>,
    pub attach_audio: bool,
}

/// What clients see: whether a PIN is set, never the PIN or its hash.
#[derive(Debug, Serialize)]
pub struct VoicemailView<'a> {
    pub enabled: bool,
    pub pin_set: bool,
    pub greeting: Option<&'a str>,
    pub notify_email: Option<&'a EmailAddress>,
    pub attach_audio: bool,
}

impl<'a> From<&'a Voicemail> for VoicemailView<'a> {
    fn from(v: &'a Voicemail) -> Self {
        Self {
            enabled: v.enabled,
            pin_set: v.pin_hash.is_some(),
            greeting: v.greeting.as_deref(),
            notify_email: v.notify_email.as_ref(),
            attach_audio: v.attach_audio,
        }
    }
}

/// What a PIN change asks for: `pin` left out keeps the PIN, `null` removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinChange {
    Keep,
    Remove,
    Set(String),
}

/// A `PUT /v1/users/{id}/voicemail` body, checked: the settings and the PIN change.
#[derive(Debug)]
pub struct VoicemailUpdate {
    pub enabled: bool,
    pub greeting: Option<String>,
    pub notify_email: Option<EmailAddress>,
    pub attach_audio: bool,
    pub pin: PinChange,
}

/// Why a PIN is refused, if it is: 4–10 digits, not one digit repeated, not a run.
pub fn pin_problem(pin: &str) -> Option<String> {
    if !(PIN_MIN..=PIN_MAX).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("must be {PIN_MIN} to {PIN_MAX} digits"));
    }
    let digits: Vec<i16> = pin.bytes().map(|b| i16::from(b - b'0')).collect();
    let steps: Vec<i16> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|&s| s == 0) {
        return Some("is too easy to guess: not one digit repeated".into());
    }
    if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1) {
        return Some("is too easy to guess: not a run of consecutive digits, up or down".into());
    }
    None
}

/// Checks a voicemail body, reporting every problem by field.
pub fn validate_voicemail(
    enabled: Option<bool>,
    pin: PinChange,
    greeting: Option<&str>,
    notify_email: Option<&str>,
    attach_audio: Option<bool>,
) -> Result<VoicemailUpdate, ValidationErrors> {
    let mut r = Report::default();
    if let PinChange::Set(p) = &pin
        && let Some(problem) = pin_problem(p)
    {
        r.add("pin", problem);
    }
    let greeting = greeting
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .and_then(|g| r.check("greeting", check_text(g, TEXT_MAX)));
    let notify_email = notify_email
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .and_then(|e| r.check("notify_email", check_email(e)));
    let update = VoicemailUpdate {
        enabled: enabled.unwrap_or(false),
        greeting,
        notify_email,
        attach_audio: attach_audio.unwrap_or(false),
        pin,
    };
    r.finish(Some(update))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivial_or_malformed_pins_are_refused() {
        for bad in [
            "123",
            "12345678901",
            "12a4",
            "0000",
            "1111111",
            "1234",
            "0123456789",
            "9876",
            "3210",
        ] {
            assert!(pin_problem(bad).is_some(), "{bad} accepted");
        }
        for good in ["2580", "1357", "90210", "1122", "4711"] {
            assert_eq!(pin_problem(good), None, "{good} refused");
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let e = validate_voicemail(
            Some(true),
            PinChange::Set("1111".into()),
            Some("hi\u{7}"),
            Some("not-an-address"),
            None,
        )
        .unwrap_err();
        assert!(e.mentions("pin") && e.mentions("greeting") && e.mentions("notify_email"));
    }
}
