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
    /// Hex SHA-256 of the code with a per-code salt (see the activation issue for the scheme).
    pub code_hash: String,
    /// Epoch seconds: stored as is, it is also the table's TTL attribute.
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
    pub failed_attempts: u8,
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
