//! One-time activation codes. Only a hash is ever stored; the record expires by TTL.

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

#[derive(Debug, thiserror::Error)]
#[error("publishing failed: {0}")]
pub struct PublishError(pub String);

/// The port the API and the importer publish activation requests through.
pub trait PublishActivation {
    fn publish(
        &self,
        requests: &[ActivationRequest],
    ) -> impl std::future::Future<Output = Result<(), PublishError>> + Send;
}

mod device;
mod sender;

pub use device::{ActivationAttempt, ActivationFailure, Proof, activate_device};
pub use sender::{Outcome, SendFailure, SenderConfig, process_request};

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

/// Why a delivery could not be made; transient ones are worth retrying.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeliveryError {
    #[error("temporarily failed: {0}")]
    Transient(String),
    #[error("rejected: {0}")]
    Permanent(String),
}

/// Sends an SMS (SNS `Publish` to a phone number, Transactional).
pub trait SendSms {
    fn send_sms(
        &self,
        to: &crate::user::PhoneNumber,
        text: &str,
        sender_id: Option<&str>,
    ) -> impl std::future::Future<Output = Result<(), DeliveryError>> + Send;
}

/// Sends an e-mail (SESv2).
pub trait SendEmail {
    fn send_email(
        &self,
        to: &crate::user::EmailAddress,
        subject: &str,
        text: &str,
    ) -> impl std::future::Future<Output = Result<(), DeliveryError>> + Send;
}

/// What the request log says about a request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This delivery may proceed; these channels were already delivered by an earlier try.
    Acquired { delivered: Vec<Channel> },
    /// Fully handled before: a redelivery, nothing to do.
    Done,
    /// Another delivery is handling it right now.
    Busy,
}

/// Remembers activation requests by id, so a redelivered message does nothing twice.
pub trait ActivationRequestLog {
    fn claim(
        &self,
        tenant: &TenantId,
        request_id: &str,
        lease: time::Duration,
    ) -> impl std::future::Future<Output = crate::store::StoreResult<Claim>> + Send;
    fn mark_delivered(
        &self,
        tenant: &TenantId,
        request_id: &str,
        channel: Channel,
    ) -> impl std::future::Future<Output = crate::store::StoreResult<()>> + Send;
    fn finish(
        &self,
        tenant: &TenantId,
        request_id: &str,
    ) -> impl std::future::Future<Output = crate::store::StoreResult<()>> + Send;
    /// Gives the request back so a retry can take it at once.
    fn release(
        &self,
        tenant: &TenantId,
        request_id: &str,
    ) -> impl std::future::Future<Output = crate::store::StoreResult<()>> + Send;
}

/// Records the activation outcome on the user without touching its version (admins editing
/// the user concurrently are not disturbed).
pub trait RecordActivation {
    fn record_activation(
        &self,
        tenant: &TenantId,
        user: &UserId,
        state: &ActivationState,
    ) -> impl std::future::Future<Output = crate::store::StoreResult<()>> + Send;
}

/// Digits in an activation code: 10^8 possibilities, 5 tries each.
pub const CODE_DIGITS: usize = 8;

/// A fresh one-time code from the OS CSPRNG.
pub fn generate_code() -> String {
    use rand::Rng;
    let n: u32 = rand::rngs::OsRng.gen_range(0..100_000_000);
    format!("{n:0width$}", width = CODE_DIGITS)
}
