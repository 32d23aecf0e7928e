//! Checks of single values: each turns raw text into a typed value or says, in words an admin
//! can act on, what is wrong with it.

use std::net::IpAddr;

use ipnet::IpNet;

use super::PickList;
use crate::enums::ClosedSet;
use crate::tenant::{Country, TenantSettings};
use crate::user::{EmailAddress, Imei, Login, PhoneNumber};

pub const LOGIN_MIN: usize = 3;
pub const LOGIN_MAX: usize = 24;
pub const NAME_MAX: usize = 100;
pub const TEXT_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;
pub const DISABLE_REASON_MAX: usize = 150;
pub const CHAT_LIMIT_MAX: i64 = 1000;

/// Trims, and treats blank as absent: spreadsheets and forms send empty strings for "nothing".
pub(crate) fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(crate) fn has_control_chars(value: &str) -> bool {
    value.chars().any(char::is_control)
}

/// A login: 3–24 letters, digits and `.`; or, where the tenant's policy allows, an e-mail
/// address (seed 003: "Email ID, if different from the Login ID").
pub fn check_login(raw: &str, settings: &TenantSettings) -> Result<Login, String> {
    if raw.contains('@') {
        if !settings.logins_may_be_emails {
            return Err(
                "may only contain letters, digits and '.' (found '@': your organisation does not use e-mail addresses as logins)"
                    .to_owned(),
            );
        }
        return check_email(raw).map(|e| Login::new_unchecked(e.as_str().to_owned()));
    }
    let length = raw.chars().count();
    if let Some(bad) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '.'))
    {
        let shown = if bad == ' ' {
            "a space".to_owned()
        } else {
            format!("'{bad}'")
        };
        return Err(format!(
            "may only contain letters, digits and '.' (found {shown})"
        ));
    }
    if !(LOGIN_MIN..=LOGIN_MAX).contains(&length) {
        return Err(format!(
            "must be {LOGIN_MIN} to {LOGIN_MAX} characters long (it has {length})"
        ));
    }
    Ok(Login::new_unchecked(raw.to_owned()))
}

pub(crate) fn check_name(raw: &str, min: usize) -> Result<String, String> {
    let length = raw.chars().count();
    if has_control_chars(raw) {
        return Err("must not contain control characters".to_owned());
    }
    if !raw.chars().any(char::is_alphanumeric) {
        return Err("must contain at least one letter or digit".to_owned());
    }
    if length < min {
        return Err(format!(
            "must be at least {min} characters long (it has {length})"
        ));
    }
    if length > NAME_MAX {
        return Err(format!("must be at most {NAME_MAX} characters long"));
    }
    Ok(raw.to_owned())
}

pub fn check_email(raw: &str) -> Result<EmailAddress, String> {
    if raw.len() > EMAIL_MAX {
        return Err(format!("must be at most {EMAIL_MAX} characters long"));
    }
    let parsed: email_address::EmailAddress = raw
        .parse()
        .map_err(|_| format!("'{raw}' is not a valid e-mail address"))?;
    // The RFC allows dot-less domains and quoted local parts; nobody's inbox uses them here.
    if !parsed.domain().contains('.') || raw.contains('"') || has_control_chars(raw) {
        return Err(format!("'{raw}' is not a valid e-mail address"));
    }
    Ok(EmailAddress::new_unchecked(raw.to_owned()))
}

/// Parses a phone number; numbers without `+`/country code take the tenant's country.
pub fn check_phone(raw: &str, settings: &TenantSettings) -> Result<PhoneNumber, String> {
    let country = settings.default_country;
    match super::phone_fast::valid_e164(raw, country) {
        Some(e164) => Ok(PhoneNumber::new_unchecked(e164)),
        None => parse_phone(raw, country),
    }
}

/// libphonenumber's reading of any text a person may type as a number.
pub(crate) fn parse_phone(raw: &str, country: Country) -> Result<PhoneNumber, String> {
    let parsed = phonenumber::parse(Some(country.id()), raw).map_err(|_| {
        format!("'{raw}' is not a phone number (digits, optionally starting with + and the country code)")
    })?;
    if !phonenumber::is_valid(&parsed) && raw.trim_start().starts_with('+') {
        return Err(format!("'{raw}' is not a valid phone number"));
    }
    if !phonenumber::is_valid(&parsed) {
        return Err(format!(
            "'{raw}' is not a valid phone number for {} (add + and the country code for another country)",
            country.code()
        ));
    }
    Ok(PhoneNumber::new_unchecked(
        parsed.format().mode(phonenumber::Mode::E164).to_string(),
    ))
}

/// 13 digits, or 15 digits whose last is the Luhn check digit. Spaces and dashes are ignored.
pub fn check_imei(raw: &str) -> Result<Imei, String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("must contain only digits".to_owned());
    }
    match digits.len() {
        13 => Ok(Imei::new_unchecked(digits)),
        15 if luhn_valid(&digits) => Ok(Imei::new_unchecked(digits)),
        15 => Err("is not a valid IMEI: the check digit (the 15th) does not match".to_owned()),
        n => Err(format!("must have 13 or 15 digits (it has {n})")),
    }
}

pub(crate) fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

pub(crate) fn check_text(raw: &str, max: usize) -> Result<String, String> {
    if has_control_chars(raw) {
        return Err("must not contain control characters".to_owned());
    }
    if raw.chars().count() > max {
        return Err(format!("must be at most {max} characters long"));
    }
    Ok(raw.to_owned())
}

/// One of a closed set (loosely spelled), or `default` when blank.
pub(crate) fn check_enum<T: ClosedSet>(raw: Option<&str>, default: T) -> Result<T, String> {
    match raw {
        None => Ok(default),
        Some(raw) => {
            T::parse_loose(raw).ok_or_else(|| format!("'{raw}' is not one of {}", T::choices()))
        }
    }
}

pub(crate) fn check_chat_limit(raw: Option<i64>) -> Result<u32, String> {
    match raw {
        None => Ok(0),
        Some(n) if (0..=CHAT_LIMIT_MAX).contains(&n) => Ok(n as u32),
        Some(n) => Err(format!(
            "must be a whole number from 0 to {CHAT_LIMIT_MAX} (got {n})"
        )),
    }
}

pub(crate) fn check_language(raw: &str) -> Result<String, String> {
    let mut parts = raw.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "'{raw}' is not a language tag (for example en, fr or pt-BR)"
        ))
    }
}

pub(crate) fn check_ip_range(raw: &str) -> Result<IpNet, String> {
    let raw = raw.trim();
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("'{raw}' is not an IP address or CIDR range (like 10.0.0.0/8)"))
}

pub(crate) fn check_extension(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if (2..=10).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err("must be 2 to 10 digits".to_owned())
    }
}

/// A field that must come from a pick list when the tenant keeps one.
pub(crate) fn check_pick(raw: &str, list: Option<&PickList>, what: &str) -> Result<String, String> {
    let text = check_text(raw, TEXT_MAX)?;
    match list.filter(|l| !l.is_empty()) {
        None => Ok(text),
        Some(list) => list.find(&text).map(str::to_owned).ok_or_else(|| {
            format!(
                "'{text}' is not one of your organisation's {what} ({})",
                list.sample()
            )
        }),
    }
}
