//! What an import checks rows against, loaded once per invocation: the tenant's departments
//! and groups (by id and by name, as admins type them in a Department or Groups cell) and its
//! pick lists.

use std::collections::{BTreeSet, HashMap};

use crate::department::Department;
use crate::directory::group::Group;
use crate::ids::{DepartmentId, GroupId};
use crate::validation::{Directory, PickList, UserDraft};

#[derive(Debug, Clone, Default)]
pub struct ImportDirectory {
    ids: BTreeSet<DepartmentId>,
    /// Lower-cased ids and names → id.
    loose: HashMap<String, DepartmentId>,
    locations: PickList,
    job_descriptions: PickList,
    /// `None`: groups are not checked here (the writer's directory is not loaded yet).
    groups: Option<BTreeSet<GroupId>>,
    /// Lower-cased group ids and names → id.
    loose_groups: HashMap<String, GroupId>,
}

impl ImportDirectory {
    pub fn new(
        departments: &[Department],
        locations: PickList,
        job_descriptions: PickList,
    ) -> Self {
        let mut directory = Self::from_ids(departments.iter().map(|d| d.id.clone()));
        for d in departments {
            directory
                .loose
                .entry(d.name.trim().to_lowercase())
                .or_insert_with(|| d.id.clone());
        }
        directory.locations = locations;
        directory.job_descriptions = job_descriptions;
        directory
    }

    /// The tenant's groups, which Groups cells may name by id or name.
    pub fn with_groups(mut self, groups: &[Group]) -> Self {
        for g in groups {
            self.loose_groups
                .insert(g.id.as_str().to_lowercase(), g.id.clone());
        }
        for g in groups {
            self.loose_groups
                .entry(g.name.trim().to_lowercase())
                .or_insert_with(|| g.id.clone());
        }
        self.groups = Some(groups.iter().map(|g| g.id.clone()).collect());
        self
    }

    /// Replaces each entry of a Groups cell that names a group (its id or name, any case)
    /// with the group's id; anything else is left for validation to report.
    pub fn resolve_groups(&self, draft: &mut UserDraft) {
        let Some(groups) = &mut draft.groups else {
            return;
        };
        for entry in groups.iter_mut() {
            if let Some(id) = self.loose_groups.get(&entry.trim().to_lowercase()) {
                *entry = id.to_string();
            }
        }
    }

    pub fn from_ids(ids: impl IntoIterator<Item = DepartmentId>) -> Self {
        let ids: BTreeSet<DepartmentId> = ids.into_iter().collect();
        let loose = ids
            .iter()
            .map(|id| (id.as_str().to_lowercase(), id.clone()))
            .collect();
        Self {
            ids,
            loose,
            ..Self::default()
        }
    }

    /// Replaces a Department cell that names a department (its id in any case, or its name)
    /// with that department's id; anything else is left for validation to report.
    pub fn resolve_department(&self, draft: &mut UserDraft) {
        let Some(raw) = draft.department_id.as_deref().map(str::trim) else {
            return;
        };
        if raw.is_empty() || DepartmentId::parse(raw).is_ok_and(|id| self.ids.contains(&id)) {
            return;
        }
        if let Some(id) = self.loose.get(&raw.to_lowercase()) {
            draft.department_id = Some(id.to_string());
        }
    }
}

impl From<BTreeSet<DepartmentId>> for ImportDirectory {
    fn from(ids: BTreeSet<DepartmentId>) -> Self {
        Self::from_ids(ids)
    }
}

impl Directory for ImportDirectory {
    fn has_department(&self, id: &DepartmentId) -> bool {
        self.ids.contains(id)
    }

    fn has_group(&self, id: &GroupId) -> bool {
        self.groups.as_ref().is_none_or(|g| g.contains(id))
    }

    fn locations(&self) -> Option<&PickList> {
        Some(&self.locations)
    }

    fn job_descriptions(&self) -> Option<&PickList> {
        Some(&self.job_descriptions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Actor, TenantId};
    use crate::user::Stamp;

    fn department(id: &str, name: &str) -> Department {
        Department {
            id: DepartmentId::parse(id).unwrap(),
            tenant_id: TenantId::parse("acme").unwrap(),
            name: name.into(),
            created: Stamp::now(&Actor::new("a")),
            updated: Stamp::now(&Actor::new("a")),
        }
    }

    #[test]
    fn department_cells_may_hold_the_id_or_the_name_in_any_case() {
        let directory = ImportDirectory::new(
            &[
                department("01jfieldops", "Field Ops"),
                department("sales", "Sales"),
            ],
            PickList::default(),
            PickList::default(),
        );
        for (cell, id) in [
            ("Field Ops", "01jfieldops"),
            ("  field ops ", "01jfieldops"),
            ("sales", "sales"),
            ("SALES", "sales"),
            ("Nowhere", "Nowhere"),
        ] {
            let mut draft = UserDraft {
                department_id: Some(cell.into()),
                ..UserDraft::default()
            };
            directory.resolve_department(&mut draft);
            assert_eq!(draft.department_id.as_deref(), Some(id), "{cell}");
        }
    }

    #[test]
    fn group_cells_may_name_groups_by_id_or_name() {
        let stamp = Stamp::now(&Actor::new("a"));
        let group = Group {
            id: GroupId::parse("01jnight").unwrap(),
            tenant_id: TenantId::parse("acme").unwrap(),
            name: "Night Shift".into(),
            description: None,
            external_id: None,
            created: stamp.clone(),
            updated: stamp,
        };
        let directory = ImportDirectory::default().with_groups(&[group]);
        let mut draft = UserDraft {
            groups: Some(vec!["night shift".into(), "01JNIGHT".into(), "Day".into()]),
            ..UserDraft::default()
        };
        directory.resolve_groups(&mut draft);
        assert_eq!(
            draft.groups.unwrap(),
            vec![
                "01jnight".to_owned(),
                "01jnight".to_owned(),
                "Day".to_owned()
            ]
        );
        assert!(directory.has_group(&GroupId::parse("01jnight").unwrap()));
        assert!(!directory.has_group(&GroupId::parse("Day").unwrap()));
    }
}
