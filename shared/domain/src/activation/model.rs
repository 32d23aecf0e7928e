//! The activation records: one-time codes (only a hash is ever stored; the record expires by
//! TTL), the requests that ask for a text or an e-mail, and what became of each channel.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{TenantId, UserId};

/// After this many wrong codes the code is dead.
pub const MAX_ATTEMPTS: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationCode {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// argon2id PHC hash of the code (salted, slow: a leaked table does not give codes away
    /// cheaply; verification compares in constant time).
    pub code_hash: String,
    /// Epoch seconds: stored as is, it is also the table's TTL attribute.
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
    pub failed_attempts: u8,
    /// The request that issued it.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// How an activation code reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
}

/// Why an activation is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationReason {
    Welcome,
    Resend,
    Reset,
}

impl ActivationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::Resend => "resend",
            Self::Reset => "reset",
        }
    }
}

/// The message on the activation topic (schema in docs/activation-messages.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    /// Bumped on any incompatible change; consumers drop versions they do not know.
    pub schema_version: u32,
    /// Idempotency key: a request delivered twice is acted on once.
    pub request_id: String,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub channels: Vec<Channel>,
    pub reason: ActivationReason,
    pub requested_by: crate::ids::Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
}

impl ActivationRequest {
    pub const SCHEMA_VERSION: u32 = 1;

    pub fn new(
        tenant_id: TenantId,
        user_id: UserId,
        channels: Vec<Channel>,
        reason: ActivationReason,
        requested_by: &crate::ids::Actor,
    ) -> Self {
        Self {
            schema_version: Self::SCHEMA_VERSION,
            request_id: ulid::Ulid::new().to_string(),
            tenant_id,
            user_id,
            channels,
            reason,
            requested_by: requested_by.clone(),
            requested_at: crate::user::now_utc_millis(),
        }
    }

    /// The welcome an import job requests for a user it created. The id is derived from the
    /// job and the user, so a job that resumes a chunk and requests it again is deduplicated
    /// by the sender instead of texting twice.
    pub fn import_welcome(
        job: &crate::ids::ImportJobId,
        tenant_id: TenantId,
        user_id: UserId,
        requested_by: &crate::ids::Actor,
    ) -> Self {
        Self {
            request_id: format!("import-{job}-{user_id}"),
            ..Self::new(
                tenant_id,
                user_id,
                vec![Channel::Sms],
                ActivationReason::Welcome,
                requested_by,
            )
        }
    }
}

/// What happened to one channel of one activation request; shown on the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Sent,
    /// Deliberately not sent (no address, foreign number, disabled user…): see `reason`.
    NotSent,
    /// Sending failed after retries.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub channel: Channel,
    pub outcome: DeliveryOutcome,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The latest activation request's outcome, per channel, as admins see it on the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationState {
    pub request_id: String,
    pub reason: ActivationReason,
    pub deliveries: Vec<Delivery>,
}

/// Digits in an activation code: 10^8 possibilities, 5 tries each.
pub const CODE_DIGITS: usize = 8;

/// A fresh one-time code from the OS CSPRNG.
pub fn generate_code() -> String {
    use rand::Rng;
    let n: u32 = rand::rngs::OsRng.gen_range(0..100_000_000);
    format!("{n:0width$}", width = CODE_DIGITS)
}
