//! The activation sender's use case: one activation request in, at most one text per channel
//! out, whatever the number of deliveries.

use time::Duration;

use super::{
    ActivationCode, ActivationReason, ActivationRequest, ActivationRequestLog, ActivationState,
    Channel, Claim, Delivery, DeliveryError, DeliveryOutcome, RecordActivation, SendEmail, SendSms,
    generate_code,
};
use crate::enums::{ActivationMethod, UserStatus};
use crate::password::{Password, PasswordHash};
use crate::store::{ActivationCodeStore, GetUser, StoreError, TenantSettingsStore};
use crate::tenant::TenantSettings;
use crate::user::{User, now_utc_millis};

#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// How long a code stays valid (24 h unless configured).
    pub code_ttl: Duration,
    /// How long one delivery holds a request before another may take it over.
    pub lease: Duration,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            code_ttl: Duration::hours(24),
            lease: Duration::minutes(5),
        }
    }
}

/// What became of a message; every variant is a success for the invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handled now (some channels may have been deliberately not sent: see the user record).
    Handled,
    /// Already handled, or being handled, by another delivery.
    Duplicate,
    /// Not actionable; logged and dropped so it cannot cause a retry storm.
    Dropped(String),
}

/// A failure worth retrying: the invocation fails so Lambda retries, then dead-letters.
#[derive(Debug, thiserror::Error)]
pub enum SendFailure {
    #[error("delivery failed, will be retried: {0}")]
    Delivery(String),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

/// Decodes a message body; `Err` says why it is dropped.
fn decode(body: &str) -> Result<ActivationRequest, String> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|_| "the message is not JSON".to_owned())?;
    match value.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(ActivationRequest::SCHEMA_VERSION) => {}
        Some(v) => return Err(format!("schema version {v} is not supported")),
        None => return Err("the message has no schema_version".to_owned()),
    }
    serde_json::from_value(value).map_err(|e| format!("the message does not match schema 1: {e}"))
}

/// The invitation (seeds 003, 004): the code first (devices and people look for it there),
/// then who the user is: their login and the organisation to sign in to. Subject and text.
fn invitation(
    code: &str,
    ttl: Duration,
    user: &User,
    settings: &TenantSettings,
    reason: ActivationReason,
) -> (String, String) {
    let tenant = user.tenant_id.as_str();
    let organisation = settings.display_name.as_deref().unwrap_or(tenant);
    let login = user.profile.login.as_str();
    let greeting = match reason {
        ActivationReason::Welcome => {
            format!("Welcome to {organisation}, {}! ", user.profile.first_name)
        }
        ActivationReason::Resend | ActivationReason::Reset => format!("{organisation}: "),
    };
    let text = format!(
        "Your Roster activation code is {code}. It expires in {} hours. Never share it. {greeting}Sign in on your device as {login} (organisation id {tenant}).",
        ttl.whole_hours()
    );
    let subject = match reason {
        ActivationReason::Welcome => format!("Welcome to {organisation}: your activation code"),
        ActivationReason::Resend | ActivationReason::Reset => {
            format!("{organisation}: your new activation code")
        }
    };
    (subject, text)
}

fn not_sent(channel: Channel, reason: &str) -> Delivery {
    Delivery {
        channel,
        outcome: DeliveryOutcome::NotSent,
        reason: Some(reason.to_owned()),
        at: now_utc_millis(),
    }
}

/// Why `channel` cannot reach `user`, if it cannot.
fn unreachable_reason(user: &User, channel: Channel, settings: &TenantSettings) -> Option<String> {
    match channel {
        Channel::Email if user.profile.email.is_none() => {
            Some("the user has no e-mail address".into())
        }
        Channel::Sms => match &user.profile.mobile_phone {
            None => Some("the user has no mobile phone number".into()),
            Some(phone) => {
                let country = phonenumber::parse(None, phone.as_str())
                    .ok()
                    .and_then(|p| p.country().id());
                (country != Some(settings.default_country.id())).then(|| {
                    format!(
                        "international SMS is not supported: the number is not a {} number",
                        settings.default_country
                    )
                })
            }
        },
        Channel::Email => None,
    }
}

/// Handles one activation request message.
#[allow(clippy::too_many_arguments)]
pub async fn process_request<S, L, M, E>(
    store: &S,
    log: &L,
    sms: &M,
    email: &E,
    config: &SenderConfig,
    body: &str,
) -> Result<Outcome, SendFailure>
where
    S: GetUser + TenantSettingsStore + ActivationCodeStore + RecordActivation,
    L: ActivationRequestLog,
    M: SendSms,
    E: SendEmail,
{
    let request = match decode(body) {
        Ok(r) => r,
        Err(why) => return Ok(Outcome::Dropped(why)),
    };
    let tenant = &request.tenant_id;
    let delivered = match log.claim(tenant, &request.request_id, config.lease).await? {
        Claim::Done | Claim::Busy => return Ok(Outcome::Duplicate),
        Claim::Acquired { delivered } => delivered,
    };
    let Some(user) = store.get_user(tenant, &request.user_id).await? else {
        log.finish(tenant, &request.request_id).await?;
        return Ok(Outcome::Dropped(
            "the user does not exist (deleted?)".into(),
        ));
    };
    let settings = store.get_settings(tenant).await?;
    let pending: Vec<Channel> = request
        .channels
        .iter()
        .copied()
        .filter(|c| !delivered.contains(c))
        .collect();

    let mut deliveries: Vec<Delivery> = Vec::new();
    let skip = if user.status == UserStatus::Disabled {
        Some("the user is disabled")
    } else if user.profile.activation_method == ActivationMethod::Manual {
        Some("the user activates manually by IMEI: no code is sent")
    } else {
        None
    };
    let reachable: Vec<Channel> = match skip {
        Some(reason) => {
            deliveries.extend(pending.iter().map(|c| not_sent(*c, reason)));
            vec![]
        }
        None => pending
            .iter()
            .copied()
            .filter(|c| match unreachable_reason(&user, *c, &settings) {
                Some(reason) => {
                    deliveries.push(not_sent(*c, &reason));
                    false
                }
                None => true,
            })
            .collect(),
    };

    let mut retry: Option<String> = None;
    if !reachable.is_empty() {
        let code = generate_code();
        let hash = PasswordHash::hash(&Password::new(code.clone()))
            .map_err(|e| SendFailure::Delivery(e.to_string()))?;
        store
            .put_code(&ActivationCode {
                tenant_id: tenant.clone(),
                user_id: user.id,
                code_hash: hash.as_phc().to_owned(),
                expires_at: time::OffsetDateTime::now_utc() + config.code_ttl,
                failed_attempts: 0,
                request_id: Some(request.request_id.clone()),
            })
            .await?;
        let (subject, text) = invitation(&code, config.code_ttl, &user, &settings, request.reason);
        for channel in reachable {
            let result = match channel {
                Channel::Sms => {
                    let phone = user
                        .profile
                        .mobile_phone
                        .as_ref()
                        .expect("checked reachable");
                    sms.send_sms(phone, &text, settings.sms_sender_id.as_deref())
                        .await
                }
                Channel::Email => {
                    let to = user.profile.email.as_ref().expect("checked reachable");
                    email.send_email(to, &subject, &text).await
                }
            };
            let (outcome, reason) = match result {
                Ok(()) => {
                    log.mark_delivered(tenant, &request.request_id, channel)
                        .await?;
                    (DeliveryOutcome::Sent, None)
                }
                Err(DeliveryError::Permanent(why)) => (DeliveryOutcome::Failed, Some(why)),
                Err(DeliveryError::Transient(why)) => {
                    retry = Some(why.clone());
                    (
                        DeliveryOutcome::Failed,
                        Some(format!("{why} (will be retried)")),
                    )
                }
            };
            deliveries.push(Delivery {
                channel,
                outcome,
                reason,
                at: now_utc_millis(),
            });
        }
    }

    // Keep what earlier tries of this request delivered, replace what this try decided.
    let mut merged: Vec<Delivery> = match &user.activation {
        Some(previous) if previous.request_id == request.request_id => previous
            .deliveries
            .iter()
            .filter(|d| !deliveries.iter().any(|n| n.channel == d.channel))
            .cloned()
            .collect(),
        _ => vec![],
    };
    merged.extend(deliveries);
    let state = ActivationState {
        request_id: request.request_id.clone(),
        reason: request.reason,
        deliveries: merged,
    };
    store.record_activation(tenant, &user.id, &state).await?;
    match retry {
        Some(why) => {
            log.release(tenant, &request.request_id).await?;
            Err(SendFailure::Delivery(why))
        }
        None => {
            log.finish(tenant, &request.request_id).await?;
            Ok(Outcome::Handled)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_other_versions_or_shapes_are_dropped() {
        assert!(decode("not json").is_err());
        assert!(
            decode(r#"{"hello": 1}"#)
                .unwrap_err()
                .contains("schema_version")
        );
        assert!(
            decode(r#"{"schema_version": 2}"#)
                .unwrap_err()
                .contains("2")
        );
        assert!(decode(r#"{"schema_version": 1, "tenant_id": "a"}"#).is_err());
    }

    #[test]
    fn codes_are_eight_random_digits() {
        let a = generate_code();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_digit()));
        let distinct: std::collections::HashSet<String> =
            (0..50).map(|_| generate_code()).collect();
        assert!(distinct.len() > 45);
    }
}
