//! Use cases on a user's voicemail and answering rules [004]: per-user settings kept on the
//! user item, changed like any other user change (reach, version, audit).

use serde_json::{Map, Value};

use crate::caller::Caller;
use crate::directory::answering_rules::{AnsweringRule, validate_answering_rules};
use crate::directory::voicemail::{PinChange, Voicemail, validate_voicemail};
use crate::error::AppError;
use crate::ids::UserId;
use crate::password::{Password, PasswordHash};
use crate::store::{GetUser, TenantSettingsStore, UpdateUser};
use crate::use_cases::users::{change, get_user};

const VOICEMAIL_FIELDS: &[&str] = &["enabled", "pin", "greeting", "notify_email", "attach_audio"];

pub async fn get_voicemail<S: GetUser>(
    store: &S,
    caller: &Caller,
    user: &UserId,
) -> Result<Voicemail, AppError> {
    Ok(get_user(store, caller, user)
        .await?
        .voicemail
        .unwrap_or_default())
}

fn optional<'a, T>(
    body: &'a Map<String, Value>,
    field: &str,
    read: fn(&'a Value) -> Option<T>,
    kind: &str,
) -> Result<Option<T>, AppError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => read(v)
            .map(Some)
            .ok_or_else(|| AppError::bad_field(field, format!("must be {kind}"))),
    }
}

/// `PUT …/voicemail`: replaces the settings; `pin` left out keeps the PIN, `null` removes it.
/// The PIN is hashed (argon2id) before it is stored and never returned.
pub async fn put_voicemail<S: GetUser + UpdateUser>(
    store: &S,
    caller: &Caller,
    user: &UserId,
    body: Map<String, Value>,
) -> Result<Voicemail, AppError> {
    if let Some(unknown) = body
        .keys()
        .find(|k| !VOICEMAIL_FIELDS.contains(&k.as_str()))
    {
        return Err(AppError::bad_field(
            unknown.as_str(),
            "is not a voicemail setting",
        ));
    }
    let pin = match body.get("pin") {
        None => PinChange::Keep,
        Some(Value::Null) => PinChange::Remove,
        Some(Value::String(p)) => PinChange::Set(p.trim().to_owned()),
        // Digits sent as a number would lose leading zeros: insist on text.
        Some(_) => return Err(AppError::bad_field("pin", "must be a string of digits")),
    };
    let update = validate_voicemail(
        optional(&body, "enabled", Value::as_bool, "true or false")?,
        pin,
        optional(&body, "greeting", Value::as_str, "a string")?,
        optional(&body, "notify_email", Value::as_str, "a string")?,
        optional(&body, "attach_audio", Value::as_bool, "true or false")?,
    )?;
    let pin_hash = match &update.pin {
        PinChange::Set(p) => Some(
            PasswordHash::hash(&Password::new(p.clone()))
                .map_err(|e| AppError::Internal(e.to_string()))?,
        ),
        _ => None,
    };
    let next = change(store, caller, user, move |u| {
        let kept = u.voicemail.as_ref().and_then(|v| v.pin_hash.clone());
        u.voicemail = Some(Voicemail {
            enabled: update.enabled,
            pin_hash: match update.pin {
                PinChange::Keep => kept,
                PinChange::Remove => None,
                PinChange::Set(_) => pin_hash,
            },
            greeting: update.greeting,
            notify_email: update.notify_email,
            attach_audio: update.attach_audio,
        });
        Ok(())
    })
    .await?;
    Ok(next.voicemail.unwrap_or_default())
}

pub async fn get_answering_rules<S: GetUser>(
    store: &S,
    caller: &Caller,
    user: &UserId,
) -> Result<Vec<AnsweringRule>, AppError> {
    Ok(get_user(store, caller, user).await?.answering_rules)
}

/// `PUT …/answering-rules` with `{"rules": [...]}` (or the bare list): replaces them all.
pub async fn put_answering_rules<S: GetUser + UpdateUser + TenantSettingsStore>(
    store: &S,
    caller: &Caller,
    user: &UserId,
    body: Value,
) -> Result<Vec<AnsweringRule>, AppError> {
    let rules = match body {
        Value::Object(mut fields) => {
            if let Some(unknown) = fields.keys().find(|k| k.as_str() != "rules") {
                return Err(AppError::bad_field(
                    unknown.as_str(),
                    "send {\"rules\": [...]}",
                ));
            }
            fields.remove("rules").unwrap_or(Value::Null)
        }
        list => list,
    };
    let settings = store.get_settings(&caller.tenant).await?;
    let rules = validate_answering_rules(&rules, &settings)?;
    let next = change(store, caller, user, move |u| {
        u.answering_rules = rules;
        Ok(())
    })
    .await?;
    Ok(next.answering_rules)
}
