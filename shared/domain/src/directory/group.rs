//! Groups of a tenant's users [002]. A user's groups are kept on the user item (so every read
//! of a user shows `group_ids` for free); a membership item per (group, user) makes a group's
//! members listable without a scan.

use serde::{Deserialize, Serialize};

use crate::ids::{GroupId, TenantId};
use crate::user::Stamp;

/// At most this many groups per user: each is a membership item in the user's transaction.
pub const GROUPS_PER_USER: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub tenant_id: TenantId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The identity provider's id for the group (SCIM `externalId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub created: Stamp,
    pub updated: Stamp,
}
