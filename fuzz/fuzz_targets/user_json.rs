//! Any body of `POST /v1/users` and of a SCIM user: decoded into a draft and validated, or
//! refused naming a field; never a panic.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use roster_domain::ids::DepartmentId;
use roster_domain::scim::user::read_user;
use roster_domain::tenant::TenantSettings;
use roster_domain::use_cases::users::draft_from_json;
use roster_domain::validation::validate_user;

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(data) else { return };
    let _ = read_user(&body).map(|scim| scim.fields(None));
    if let Ok(draft) = draft_from_json(body) {
        let none: BTreeSet<DepartmentId> = BTreeSet::new();
        let _ = validate_user(&draft, &TenantSettings::default(), &none);
    }
});
