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
    /// Spent by a device activation: kept (until its TTL) rather than deleted, so the public
    /// function needs no right to delete items (docs/security.md).
    #[serde(default)]
    pub used: bool,
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
    /// A random secret the code is derived from, so every try of this message (SNS and
    /// Lambda redeliver it unchanged) sends the same code on every channel, while the table
    /// keeps only the code's hash. Absent in older messages: those get a random code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_seed: Option<String>,
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
            code_seed: Some(new_code_seed()),
        }
    }

    /// The one code of this request: derived from its seed, or fresh when it has none
    /// (`false`: a retry cannot send that code again).
    pub fn code(&self) -> (String, bool) {
        match &self.code_seed {
            Some(seed) => (derive_code(seed, &self.tenant_id, &self.request_id), true),
            None => (generate_code(), false),
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

impl ActivationState {
    /// Every channel of `request` failed before reaching the sender (the request was not
    /// published), for `reason`.
    pub fn not_queued(request: &ActivationRequest, reason: &str) -> Self {
        Self {
            request_id: request.request_id.clone(),
            reason: request.reason,
            deliveries: request
                .channels
                .iter()
                .map(|c| Delivery {
                    channel: *c,
                    outcome: DeliveryOutcome::Failed,
                    reason: Some(reason.to_owned()),
                    at: crate::user::now_utc_millis(),
                })
                .collect(),
        }
    }
}

/// Digits in an activation code: 10^8 possibilities, 5 tries each.
pub const CODE_DIGITS: usize = 8;

/// 128 random bits from the OS CSPRNG, hex.
fn new_code_seed() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of the secret seed and the request, read as a number below 10^8 (the bias of
/// reducing 64 bits is below 10^-11).
fn derive_code(seed: &str, tenant: &TenantId, request_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(seed.as_bytes())
        .chain_update([0])
        .chain_update(tenant.as_str().as_bytes())
        .chain_update([0])
        .chain_update(request_id.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let n = u64::from_be_bytes(first) % 100_000_000;
    format!("{n:0width$}", width = CODE_DIGITS)
}

/// A fresh one-time code from the OS CSPRNG.
pub fn generate_code() -> String {
    use rand::Rng;
    let n: u32 = rand::rngs::OsRng.gen_range(0..100_000_000);
    format!("{n:0width$}", width = CODE_DIGITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ActivationRequest {
        ActivationRequest::new(
            TenantId::parse("acme").unwrap(),
            UserId::generate(),
            vec![Channel::Sms, Channel::Email],
            ActivationReason::Welcome,
            &crate::ids::Actor::new("admin"),
        )
    }

    #[test]
    fn a_request_has_one_code_across_tries_and_another_request_another() {
        let a = request();
        let redelivered: ActivationRequest =
            serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(a.code(), redelivered.code());
        assert!(a.code().1);
        assert_eq!(a.code().0.len(), CODE_DIGITS);
        assert_ne!(a.code().0, request().code().0);
    }

    #[test]
    fn an_older_message_without_a_seed_still_gets_a_code() {
        let mut old = request();
        old.code_seed = None;
        let text = serde_json::to_string(&old).unwrap();
        assert!(!text.contains("code_seed"));
        let (code, reusable) = serde_json::from_str::<ActivationRequest>(&text)
            .unwrap()
            .code();
        assert_eq!(code.len(), CODE_DIGITS);
        assert!(!reusable);
    }
}
