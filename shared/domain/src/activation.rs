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
