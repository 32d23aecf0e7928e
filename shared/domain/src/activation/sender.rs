//! The activation sender's use case: one activation request in, at most one text per channel
//! out, whatever the number of deliveries.

use time::Duration;

use super::{
    ActivationCode, ActivationReason, ActivationRequest, ActivationRequestLog, ActivationState,
    Channel, Claim, Delivery, DeliveryError, DeliveryOutcome, RecordActivation, SendEmail, SendSms,
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
    /// How long one delivery holds a request before another may take it over: above the
    /// function's timeout (29 s), below Lambda's first retry (about a minute later), so the
    /// retry of a crashed try finds the request free.
    pub lease: Duration,
    /// Tries Lambda makes of one message (the first and `MaximumRetryAttempts`, 2): the last
    /// one records a failure on the user before the message goes to the dead letters.
    pub tries: u32,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            code_ttl: Duration::hours(24),
            lease: Duration::seconds(45),
            tries: 3,
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
    /// Another try holds the request: retried later, when it has finished or its lease ran out.
    #[error("another delivery holds the request")]
    Busy,
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

fn recorded_as_sent(user: &User, request_id: &str, channel: Channel) -> bool {
    user.activation.as_ref().is_some_and(|state| {
        state.request_id == request_id
            && state
                .deliveries
                .iter()
                .any(|d| d.channel == channel && d.outcome == DeliveryOutcome::Sent)
    })
}

/// The ports the sender works through, bundled so each step takes one argument.
pub struct SenderPorts<'a, S, L, M, E> {
    pub store: &'a S,
    pub log: &'a L,
    pub sms: &'a M,
    pub email: &'a E,
    pub config: &'a SenderConfig,
}

/// Handles one activation request message. Every failure after the claim gives the request
/// back, so Lambda's retry takes it at once; the last try records the failure on the user.
pub async fn process_request<S, L, M, E>(
    ports: &SenderPorts<'_, S, L, M, E>,
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
    let claim = ports
        .log
        .claim(tenant, &request.request_id, ports.config.lease)
        .await?;
    let (delivered, attempt) = match claim {
        Claim::Done => return Ok(Outcome::Duplicate),
        Claim::Busy => return Err(SendFailure::Busy),
        Claim::Acquired { delivered, attempt } => (delivered, attempt),
    };
    let outcome = ports.deliver(&request, delivered, attempt).await;
    match &outcome {
        Ok(_) => ports.log.finish(tenant, &request.request_id).await?,
        Err(_) => {
            if let Err(e) = ports.log.release(tenant, &request.request_id).await {
                tracing::warn!(error = %e, "could not give the request back; its lease runs out instead");
            }
        }
    }
    outcome
}

impl<S, L, M, E> SenderPorts<'_, S, L, M, E>
where
    S: GetUser + TenantSettingsStore + ActivationCodeStore + RecordActivation,
    L: ActivationRequestLog,
    M: SendSms,
    E: SendEmail,
{
    async fn deliver(
        &self,
        request: &ActivationRequest,
        delivered: Vec<Channel>,
        attempt: u32,
    ) -> Result<Outcome, SendFailure> {
        let tenant = &request.tenant_id;
        let Some(user) = self.store.get_user(tenant, &request.user_id).await? else {
            return Ok(Outcome::Dropped(
                "the user does not exist (deleted?)".into(),
            ));
        };
        let settings = self.store.get_settings(tenant).await?;
        let (code, reproducible) = request.code();
        // The code already issued for this request, if this try can send that same code.
        let issued = match self.store.get_code(tenant, &user.id).await? {
            Some(stored)
                if reproducible
                    && stored.request_id.as_deref() == Some(request.request_id.as_str()) =>
            {
                PasswordHash::from_phc(stored.code_hash).verify(&Password::new(code.clone()))
            }
            _ => false,
        };
        // A code that cannot be sent again is replaced, and then every channel gets the new one.
        let pending: Vec<Channel> = request
            .channels
            .iter()
            .copied()
            .filter(|c| !(issued && delivered.contains(c)))
            .collect();

        // Sent by an earlier try that could not record it on the user: record it now.
        let mut deliveries: Vec<Delivery> = request
            .channels
            .iter()
            .filter(|c| issued && delivered.contains(c))
            .filter(|c| !recorded_as_sent(&user, &request.request_id, **c))
            .map(|c| Delivery {
                channel: *c,
                outcome: DeliveryOutcome::Sent,
                reason: None,
                at: now_utc_millis(),
            })
            .collect();
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

        let last_try = attempt >= self.config.tries;
        let mut retry: Option<String> = None;
        if !reachable.is_empty() {
            if !issued {
                let hash = PasswordHash::hash(&Password::new(code.clone()))
                    .map_err(|e| SendFailure::Delivery(e.to_string()))?;
                self.store
                    .put_code(&ActivationCode {
                        tenant_id: tenant.clone(),
                        user_id: user.id,
                        code_hash: hash.as_phc().to_owned(),
                        expires_at: time::OffsetDateTime::now_utc() + self.config.code_ttl,
                        failed_attempts: 0,
                        request_id: Some(request.request_id.clone()),
                        used: false,
                    })
                    .await?;
            }
            let (subject, text) = invitation(
                &code,
                self.config.code_ttl,
                &user,
                &settings,
                request.reason,
            );
            for channel in reachable {
                let result = match channel {
                    Channel::Sms => {
                        let phone = user
                            .profile
                            .mobile_phone
                            .as_ref()
                            .expect("checked reachable");
                        self.sms
                            .send_sms(phone, &text, settings.sms_sender_id.as_deref())
                            .await
                    }
                    Channel::Email => {
                        let to = user.profile.email.as_ref().expect("checked reachable");
                        self.email.send_email(to, &subject, &text).await
                    }
                };
                let (outcome, reason) = match result {
                    Ok(()) => {
                        self.log
                            .mark_delivered(tenant, &request.request_id, channel)
                            .await?;
                        (DeliveryOutcome::Sent, None)
                    }
                    Err(DeliveryError::Permanent(why)) => (DeliveryOutcome::Failed, Some(why)),
                    Err(DeliveryError::Transient(why)) => {
                        let note = if last_try {
                            format!("{why} (gave up after {attempt} tries)")
                        } else {
                            format!("{why} (will be retried)")
                        };
                        retry = Some(why);
                        (DeliveryOutcome::Failed, Some(note))
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
        self.store
            .record_activation(tenant, &user.id, &state)
            .await?;
        match retry {
            Some(why) => Err(SendFailure::Delivery(why)),
            None => Ok(Outcome::Handled),
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
        use crate::activation::generate_code;
        let a = generate_code();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_digit()));
        let distinct: std::collections::HashSet<String> =
            (0..50).map(|_| generate_code()).collect();
        assert!(distinct.len() > 45);
    }
}
