//! Pick lists (seed 003): the locations and job descriptions admins choose from. Once a tenant
//! keeps entries in a list, a user's `location` / `job_description` must be one of them (the
//! API and the importer check it the same way, through [`crate::validation::Directory`]).

use serde::{Deserialize, Serialize};

use crate::ids::{PickEntryId, TenantId};
use crate::user::Stamp;
use crate::validation::PickList;

/// Which pick list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PickListKind {
    Location,
    JobDescription,
}

impl PickListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::JobDescription => "job_description",
        }
    }

    /// How a message names one entry.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::JobDescription => "job description",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickListEntry {
    pub id: PickEntryId,
    pub tenant_id: TenantId,
    pub name: String,
    pub created: Stamp,
}

/// The tenant's list as validation uses it.
pub fn pick_list(entries: &[PickListEntry]) -> PickList {
    PickList::new(entries.iter().map(|e| e.name.clone()))
}
