//! Any text as a SCIM `filter` or PATCH `path`: parsed or refused at a character, within the
//! length and depth bounds; a parsed filter can be planned and evaluated.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_domain::scim::eval::matches;
use roster_domain::scim::filter::{parse_filter, parse_path};
use roster_domain::scim::plan::plan_user_filter;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(filter) = parse_filter(&text) {
        let _ = plan_user_filter(&filter);
        let resource = serde_json::json!({
            "userName": "bjensen", "name": {"givenName": "Barbara"}, "active": true,
            "emails": [{"value": "b@example.com", "type": "work"}]
        });
        let _ = matches(&filter, resource.as_object().unwrap());
    }
    let _ = parse_path(&text);
});
