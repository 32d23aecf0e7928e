//! Departments (business units): every user belongs to exactly one.

use serde::{Deserialize, Serialize};

use crate::ids::{DepartmentId, TenantId};
use crate::user::Stamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub tenant_id: TenantId,
    pub name: String,
    pub created: Stamp,
    pub updated: Stamp,
}
