//! Who is calling the admin API, from verified token claims, and what they may reach.
//!
//! `admin` manages the whole tenant; `manager` manages the users of their own departments;
//! `analyst` reads (get, list, search, export) and changes nothing.

use std::collections::BTreeSet;

use crate::error::AppError;
use crate::ids::{Actor, DepartmentId, TenantId};

/// What a request needs the caller's roles to allow: the one rule set every entry point checks
/// (department reach is checked per user, with [`Caller::can_read`] / [`Caller::can_write`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create, change, disable, delete users (admins; managers in their departments).
    ChangeUsers,
    /// Departments, pick lists, tenant settings (admins).
    ManageOrganisation,
    /// Create, cancel and proceed with imports: they write users of any department (admins).
    Import,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CallerRole {
    Admin,
    Manager,
    Analyst,
}

impl CallerRole {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "admin" => Some(Self::Admin),
            "manager" => Some(Self::Manager),
            "analyst" => Some(Self::Analyst),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Caller {
    pub actor: Actor,
    /// How lists show this caller: the token's `name`, else its `email`, else its `sub`.
    pub name: String,
    pub tenant: TenantId,
    pub roles: BTreeSet<CallerRole>,
    /// Departments a manager manages (from `custom:department_ids`).
    pub departments: BTreeSet<DepartmentId>,
}

impl Caller {
    pub fn has(&self, role: CallerRole) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(CallerRole::Admin)
    }

    /// Whether the caller may read users of `department` (users without one: admins and
    /// analysts only).
    pub fn can_read(&self, department: Option<&DepartmentId>) -> bool {
        self.is_admin() || self.has(CallerRole::Analyst) || self.manages(department)
    }

    /// Whether the caller may change users of `department`.
    pub fn can_write(&self, department: Option<&DepartmentId>) -> bool {
        self.is_admin() || self.manages(department)
    }

    /// Whether the caller may change some users (admin or manager).
    pub fn writes_users(&self) -> bool {
        self.is_admin() || self.has(CallerRole::Manager)
    }

    /// 403 unless the caller's roles allow `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        let (allowed, refusal) = match permission {
            Permission::ChangeUsers => (self.writes_users(), "your role may not change users"),
            Permission::ManageOrganisation => (self.is_admin(), "only an admin may do this"),
            Permission::Import => (self.is_admin(), "only an admin may import users"),
        };
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden(refusal.into()))
        }
    }

    /// Whether reads are limited to the caller's own departments.
    pub fn reads_only_own_departments(&self) -> bool {
        !self.is_admin() && !self.has(CallerRole::Analyst)
    }

    fn manages(&self, department: Option<&DepartmentId>) -> bool {
        self.has(CallerRole::Manager) && department.is_some_and(|d| self.departments.contains(d))
    }
}
