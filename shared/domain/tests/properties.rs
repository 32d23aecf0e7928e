//! Properties of validation and of the object keys, over generated input (issue 16). The
//! seed is fixed so that a run is reproducible: CI never meets a case a local run did not.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use roster_domain::ids::{DepartmentId, ImportJobId, TenantId};
use roster_domain::object_keys::{self, UploadKey};
use roster_domain::tenant::TenantSettings;
use roster_domain::validation::{UserDraft, validate_user};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(20_261_204),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A field as users bring it: well-formed (`chaos` false), or sometimes anything at all.
fn field(well_formed: &'static str, chaos: bool) -> BoxedStrategy<Option<String>> {
    if !chaos {
        return well_formed.prop_map(Some).boxed();
    }
    prop_oneof![
        1 => Just(None),
        6 => well_formed.prop_map(Some),
        2 => any::<String>().prop_map(Some),
        1 => "[ \t]{0,3}[A-Za-z0-9@.+_'() -]{0,40}[ \t]{0,3}".prop_map(Some),
    ]
    .boxed()
}

fn list(well_formed: &'static str) -> impl Strategy<Value = Option<Vec<String>>> {
    prop::option::of(prop::collection::vec(
        prop_oneof![4 => well_formed.prop_map(String::from), 1 => any::<String>()],
        0..4,
    ))
}

/// Mostly well-formed users (so that the valid ones are many), one in five with chaos in
/// every field.
fn draft() -> impl Strategy<Value = UserDraft> {
    prop_oneof![4 => draft_with(false), 1 => draft_with(true)]
}

prop_compose! {
    fn draft_with(chaos: bool)(
        login in field("[a-zA-Z][a-zA-Z0-9]{1,10}(\\.[a-zA-Z0-9]{1,8})?", chaos),
        first_name in field("[A-Z][a-z]{1,12}( [A-Z][a-z]{1,8})?", chaos),
        last_name in field("[A-Z][a-z'-]{1,15}", chaos),
        email in field("[a-z0-9_]{1,12}@[a-z]{1,10}\\.(com|org|de)", chaos),
        mobile_phone in field("(\\+1 ?201[ -]?555[ -]?01[0-9]{2}|\\(201\\) 555-01[0-9]{2})", chaos),
        department_id in prop_oneof![Just(Some("sales".to_owned())), Just(Some("support".to_owned())), field("[a-z]{1,8}", chaos)],
        kind in field("(person|Person|call_queue)", chaos),
        priority in prop::option::of(if chaos { -2i64..14 } else { 0i64..6 }),
        activation_method in field("(automatic|Automatic)", chaos),
        imei in if chaos { prop::option::of("[0-9]{13}").boxed() } else { Just(None).boxed() },
        language in field("(en|de|fr-CA|en-GB)", chaos),
        allowed_ips in list("(10\\.[0-9]{1,2}\\.[0-9]{1,2}\\.0/24|192\\.0\\.2\\.[0-9]{1,2}|2001:db8::/32)"),
        nickname in field("[A-Za-z]{1,10}", chaos),
        max_live_chats in prop::option::of(if chaos { -1i64..30 } else { 0i64..10 }),
    ) -> UserDraft {
        UserDraft {
            login, first_name, last_name, email, mobile_phone, department_id, kind, priority,
            activation_method, imei, language, allowed_ips, nickname, max_live_chats,
            ..UserDraft::default()
        }
    }
}

fn directory() -> BTreeSet<DepartmentId> {
    ["sales", "support"]
        .into_iter()
        .map(|d| DepartmentId::parse(d).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(config(3_000))]

    /// Whatever a client or a sheet sends, validation answers (never panics), and what it
    /// accepts it accepts again unchanged: the stored profile, shown and sent back, is valid
    /// and normalises to itself.
    #[test]
    fn validation_answers_everything_and_a_valid_user_is_a_fixed_point(draft in draft(), emails in any::<bool>()) {
        let settings = TenantSettings { logins_may_be_emails: emails, ..TenantSettings::default() };
        let directory = directory();
        if let Ok(valid) = validate_user(&draft, &settings, &directory) {
            let again = validate_user(&UserDraft::from(&valid.profile), &settings, &directory);
            let again = again.map_err(|e| format!("{e:?}"));
            prop_assert_eq!(again.map(|v| v.profile), Ok(valid.profile));
        }
    }
}

fn tenant() -> impl Strategy<Value = TenantId> {
    "[a-z0-9][a-z0-9-]{0,20}".prop_filter_map("a tenant id", |t| TenantId::parse(&t).ok())
}

proptest! {
    #![proptest_config(config(2_000))]

    /// Every object key of a tenant lies in its folder, whatever the file is called; an upload's key reads back as what it was made from.
    #[test]
    fn object_keys_stay_in_their_tenant_and_read_back(
        a in tenant(),
        file in "[^/\\x00]{1,40}",
        row in any::<u64>(),
    ) {
        let job = ImportJobId::generate();
        let keys = [
            object_keys::job_upload(&a, &job, &file),
            object_keys::error_report(&a, &job, "csv"),
            object_keys::text_report(&a, &job),
            object_keys::summary(&a, &job),
            object_keys::report_part(&a, &job, row),
            object_keys::created_part(&a, &job, row),
        ];
        // The tenant is the key's second segment, whatever the file name holds (`..`, `/`).
        for key in &keys {
            prop_assert_eq!(key.split('/').nth(1), Some(a.as_str()), "{}", key);
        }
        match object_keys::parse_upload(&keys[0]) {
            Ok(UploadKey::ForJob { tenant, job: read, file_name }) => {
                prop_assert_eq!(&tenant, &a);
                prop_assert_eq!(read, job);
                prop_assert!(file.ends_with(&file_name), "{} from {}", file_name, file);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

/// The validation property means something only if many generated drafts are valid.
#[test]
fn the_generated_drafts_are_often_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::new(config(1));
    let settings = TenantSettings::default();
    let valid = (0..500)
        .filter(|_| {
            let draft = draft().new_tree(&mut runner).unwrap().current();
            let result = validate_user(&draft, &settings, &directory());
            result.is_ok()
        })
        .count();
    assert!(
        valid >= 50,
        "only {valid} of 500 generated drafts are valid"
    );
}

proptest! {
    #![proptest_config(config(5_000))]

    /// A SCIM filter or path from anyone gets an answer, never a panic; what parses once
    /// parses the same when sent again with other spacing.
    #[test]
    fn scim_filters_answer_anything(
        text in prop_oneof![
            any::<String>(),
            "[a-zA-Z.:\\[\\]()\" ]{0,60}",
            "(not \\()?[a-z]{1,8}(\\.[a-z]{1,6})? (eq|Eq|co|sw|pr|gt) (\"[a-z@.]{0,10}\"|true|null|[0-9]{1,4})( (and|or) [a-z]{1,8} pr)?\\)?",
        ],
    ) {
        use roster_domain::scim::filter::{parse_filter, parse_path};
        let parsed = parse_filter(&text);
        let _ = parse_path(&text);
        if let Ok(filter) = parsed {
            let spaced = format!("  {}  ", text.replace(" ", "   "));
            if !text.contains('"') {
                prop_assert_eq!(parse_filter(&spaced).ok(), Some(filter));
            }
        }
    }
}
