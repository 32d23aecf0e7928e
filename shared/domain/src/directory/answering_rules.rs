//! A user's answering rules [004]: an ordered list, the first rule whose days and hours match
//! a call decides what happens to it. Validated as a whole, every bad rule and field named
//! (`rules[2].forward_to`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::enums::{RuleAction, Weekday};
use crate::tenant::TenantSettings;
use crate::user::PhoneNumber;
use crate::validation::values::{check_enum, check_text};
use crate::validation::{NAME_MAX, Report, ValidationErrors, check_phone, decode_named};

pub const RULES_PER_USER: usize = 20;
pub const RING_SECONDS: std::ops::RangeInclusive<i64> = 5..=120;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweringRule {
    pub name: String,
    pub days: Vec<Weekday>,
    /// `HH:MM`, inclusive.
    pub from: String,
    /// `HH:MM` (or `24:00`), exclusive; after `from`.
    pub to: String,
    pub action: RuleAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_to: Option<PhoneNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_seconds: Option<u16>,
}

/// One rule as a client sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDraft {
    name: Option<String>,
    days: Option<Vec<String>>,
    from: Option<String>,
    to: Option<String>,
    action: Option<String>,
    forward_to: Option<String>,
    ring_seconds: Option<i64>,
}

/// Minutes since midnight of `HH:MM`; `24:00` only where `end_of_day` is allowed.
fn clock(raw: &str, end_of_day: bool) -> Result<u16, String> {
    let bad = || format!("'{raw}' is not a time of day (HH:MM, 00:00 to 23:59)");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    match (h, m) {
        (24, 0) if end_of_day => Ok(24 * 60),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

fn check_rule(
    draft: &RuleDraft,
    prefix: &str,
    settings: &TenantSettings,
    r: &mut Report,
) -> Option<AnsweringRule> {
    let field = |name: &str| format!("{prefix}{name}");
    let required = |r: &mut Report, name: &str, value: &Option<String>| match value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => Some(v.to_owned()),
        None => {
            r.add(field(name), "is required");
            None
        }
    };
    let name = required(r, "name", &draft.name)
        .and_then(|n| r.check(&field("name"), check_text(&n, NAME_MAX)));
    let mut days = Vec::new();
    match draft.days.as_deref() {
        None | Some([]) => r.add(field("days"), "must name at least one day (mon to sun)"),
        Some(raw_days) => {
            for (i, raw) in raw_days.iter().enumerate() {
                match Weekday::parse_loose(raw) {
                    Some(d) if days.contains(&d) => r.add(
                        field(&format!("days[{i}]")),
                        format!("'{raw}' is listed twice"),
                    ),
                    Some(d) => days.push(d),
                    None => r.add(
                        field(&format!("days[{i}]")),
                        format!("'{raw}' is not one of {}", Weekday::choices()),
                    ),
                }
            }
        }
    }
    days.sort();
    let from = required(r, "from", &draft.from)
        .and_then(|t| r.check(&field("from"), clock(&t, false)).map(|m| (t, m)));
    let to = required(r, "to", &draft.to)
        .and_then(|t| r.check(&field("to"), clock(&t, true)).map(|m| (t, m)));
    if let (Some((_, f)), Some((t, m))) = (&from, &to)
        && m <= f
    {
        r.add(
            field("to"),
            format!("'{}' must be later than from", t.trim()),
        );
    }
    let action = match required(r, "action", &draft.action) {
        Some(a) => r.check(&field("action"), check_enum(Some(&a), RuleAction::Ring)),
        None => None,
    };
    let forward_to = match (action, draft.forward_to.as_deref().map(str::trim)) {
        (Some(RuleAction::Forward), None | Some("")) => {
            r.add(
                field("forward_to"),
                "is required when the action is forward",
            );
            None
        }
        (Some(RuleAction::Forward), Some(raw)) => {
            r.check(&field("forward_to"), check_phone(raw, settings))
        }
        (_, Some(raw)) if !raw.is_empty() => {
            r.add(field("forward_to"), "is only for the action forward");
            None
        }
        _ => None,
    };
    let ring_seconds = match draft.ring_seconds {
        None => None,
        Some(s) if RING_SECONDS.contains(&s) => Some(s as u16),
        Some(s) => {
            r.add(
                field("ring_seconds"),
                format!(
                    "{s} is not from {} to {} seconds",
                    RING_SECONDS.start(),
                    RING_SECONDS.end()
                ),
            );
            None
        }
    };
    Some(AnsweringRule {
        name: name?,
        days,
        from: from?.0.trim().to_owned(),
        to: to?.0.trim().to_owned(),
        action: action?,
        forward_to,
        ring_seconds,
    })
}

/// Checks the whole list (`rules` as sent: any JSON, so every malformed element is named).
pub fn validate_answering_rules(
    rules: &Value,
    settings: &TenantSettings,
) -> Result<Vec<AnsweringRule>, ValidationErrors> {
    let Some(items) = rules.as_array() else {
        return Err(ValidationErrors::single("rules", "must be a list of rules"));
    };
    if items.len() > RULES_PER_USER {
        return Err(ValidationErrors::single(
            "rules",
            format!(
                "a user may have at most {RULES_PER_USER} rules ({} given)",
                items.len()
            ),
        ));
    }
    let mut r = Report::default();
    let mut valid = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("rules[{i}].");
        match decode_named::<RuleDraft>(item.clone(), &prefix) {
            Ok(draft) => valid.extend(check_rule(&draft, &prefix, settings, &mut r)),
            Err(e) => r.add(e.field, e.message),
        }
    }
    let complete = r.is_clean().then_some(valid);
    r.finish(complete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_good_list_is_kept_in_order_with_national_numbers_in_e164() {
        let rules = validate_answering_rules(
            &json!([
                {"name": "Office hours", "days": ["Mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:30", "action": "ring", "ring_seconds": 20},
                {"name": "Evening", "days": ["mon"], "from": "17:30", "to": "24:00", "action": "forward", "forward_to": "(201) 555-0123"},
                {"name": "Weekend", "days": ["sat", "sun"], "from": "00:00", "to": "24:00", "action": "voicemail"}
            ]),
            &TenantSettings::default(),
        )
        .unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].days.len(), 5);
        assert_eq!(
            rules[1].forward_to.as_ref().unwrap().as_str(),
            "+12015550123"
        );
        assert_eq!(rules[2].action, RuleAction::Voicemail);
    }

    #[test]
    fn every_bad_rule_and_field_is_named() {
        let e = validate_answering_rules(
            &json!([
                {"name": "ok", "days": ["mon"], "from": "09:00", "to": "10:00", "action": "busy"},
                {"name": "", "days": [], "from": "25:00", "to": "9", "action": "dance"},
                {"name": "late", "days": ["mon", "Mon"], "from": "18:00", "to": "08:00", "action": "forward", "ring_seconds": 500},
                {"name": "x", "days": ["sun"], "from": "01:00", "to": "02:00", "action": "ring", "forward_to": "+12015550123"},
                {"nme": "typo"}
            ]),
            &TenantSettings::default(),
        )
        .unwrap_err();
        for field in [
            "rules[1].name",
            "rules[1].days",
            "rules[1].from",
            "rules[1].to",
            "rules[1].action",
            "rules[2].days[1]",
            "rules[2].to",
            "rules[2].forward_to",
            "rules[2].ring_seconds",
            "rules[3].forward_to",
            "rules[4].nme",
        ] {
            assert!(e.mentions(field), "{field} not named in {e}");
        }
        assert!(!e.mentions("rules[0].name"));
    }

    #[test]
    fn the_list_is_capped() {
        let one =
            json!({"name": "r", "days": ["mon"], "from": "09:00", "to": "10:00", "action": "ring"});
        let many = Value::Array(vec![one; RULES_PER_USER + 1]);
        let e = validate_answering_rules(&many, &TenantSettings::default()).unwrap_err();
        assert!(e.mentions("rules"));
    }
}
