//! The activation sender: SNS activation requests in, codes out by SMS and e-mail.
//!
//! Thin: each record's message goes to `roster_domain::activation::process_request`. Messages
//! that cannot be acted on are logged and dropped; a delivery that keeps failing fails the
//! invocation, so Lambda retries it and finally hands it to the dead-letter destination.

use aws_lambda_events::event::sns::SnsEvent;
use roster_domain::activation::{
    ActivationRequestLog, Outcome, RecordActivation, SendEmail, SendSms, SenderConfig, SenderPorts,
    process_request,
};
use roster_domain::store::{ActivationCodeStore, GetUser, TenantSettingsStore};

pub struct App<S, M, E> {
    pub store: S,
    pub sms: M,
    pub email: E,
    pub config: SenderConfig,
}

impl App<roster_aws::DynamoStore, roster_aws::SnsSms, roster_aws::SesEmail> {
    /// The real adapters, named by the function's environment (`ROSTER_TABLE`,
    /// `ROSTER_EMAIL_FROM`, optional `ROSTER_CODE_TTL_HOURS`, default 24).
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        let code_ttl_hours: i64 = std::env::var("ROSTER_CODE_TTL_HOURS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(24);
        Ok(Self {
            store: roster_aws::DynamoStore::from_environment(config)?,
            sms: roster_aws::SnsSms::new(config),
            email: roster_aws::SesEmail::new(
                config,
                roster_aws::required_env("ROSTER_EMAIL_FROM")?,
            ),
            config: SenderConfig {
                code_ttl: time::Duration::hours(code_ttl_hours),
                ..SenderConfig::default()
            },
        })
    }
}

/// Handles every record; fails (for a retry) if any delivery must be retried.
pub async fn handle<S, M, E>(app: &App<S, M, E>, event: SnsEvent) -> Result<(), String>
where
    S: GetUser
        + TenantSettingsStore
        + ActivationCodeStore
        + RecordActivation
        + ActivationRequestLog,
    M: SendSms,
    E: SendEmail,
{
    let ports = SenderPorts {
        store: &app.store,
        log: &app.store,
        sms: &app.sms,
        email: &app.email,
        config: &app.config,
    };
    let mut retry = Vec::new();
    for record in &event.records {
        let message_id = &record.sns.message_id;
        match process_request(&ports, &record.sns.message).await {
            Ok(Outcome::Handled) => tracing::info!(%message_id, "activation request handled"),
            Ok(Outcome::Duplicate) => tracing::info!(%message_id, "duplicate delivery ignored"),
            Ok(Outcome::Dropped(why)) => {
                tracing::warn!(%message_id, reason = %why, "activation request dropped")
            }
            Err(e) => {
                tracing::error!(%message_id, error = %e, "activation request failed; will be retried");
                retry.push(message_id.clone());
            }
        }
    }
    if retry.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} activation request(s) must be retried",
            retry.len()
        ))
    }
}
