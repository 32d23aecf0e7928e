//! Table-driven tests over every validation rule, with the edges admins actually hit.

use std::collections::BTreeSet;

use roster_domain::enums::{ClientType, Role, UserKind};
use roster_domain::ids::DepartmentId;
use roster_domain::password::Password;
use roster_domain::tenant::{Country, TenantSettings};
use roster_domain::validation::{
    UserDraft, ValidUser, ValidationErrors, validate_disable_reason, validate_user,
};

fn departments() -> BTreeSet<DepartmentId> {
    BTreeSet::from([DepartmentId::parse("sales").unwrap()])
}

/// A draft that passes; each case changes one thing.
fn valid_draft() -> UserDraft {
    UserDraft {
        login: Some("John.Smith".into()),
        first_name: Some("John".into()),
        last_name: Some("Smith".into()),
        email: Some("john.smith@example.com".into()),
        department_id: Some("sales".into()),
        ..UserDraft::default()
    }
}

fn validate(draft: &UserDraft) -> Result<ValidUser, ValidationErrors> {
    validate_user(draft, &TenantSettings::default(), &departments())
}

fn validate_with(
    draft: &UserDraft,
    settings: &TenantSettings,
) -> Result<ValidUser, ValidationErrors> {
    validate_user(draft, settings, &departments())
}

/// Asserts that exactly the fields listed carry errors, and that each message says something.
fn assert_fields(result: Result<ValidUser, ValidationErrors>, fields: &[&str], case: &str) {
    match result {
        Ok(_) if fields.is_empty() => {}
        Ok(_) => panic!("{case}: expected errors on {fields:?}, got none"),
        Err(errors) => {
            let got: BTreeSet<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
            let want: BTreeSet<&str> = fields.iter().copied().collect();
            assert_eq!(got, want, "{case}: {errors}");
            for e in errors.errors() {
                assert!(e.message.len() > 5, "{case}: vague message {e:?}");
            }
        }
    }
}

#[test]
fn the_valid_draft_is_valid_with_documented_defaults() {
    let user = validate(&valid_draft()).unwrap().profile;
    assert_eq!(user.login.as_str(), "John.Smith");
    assert_eq!(user.kind, UserKind::Person);
    assert_eq!(user.roles, BTreeSet::from([Role::Agent]));
    assert_eq!(user.priority.get(), 0);
    assert_eq!(user.client_type, ClientType::Unknown);
    assert!(!user.send_text);
    assert!(user.maximal_contacts);
    assert!(!user.in_address_book, "the address book is opt-in [001]");
}

#[test]
fn logins() {
    let cases: &[(&str, bool)] = &[
        ("ab", false),
        ("abc", true),
        (&"a".repeat(24), true),
        (&"a".repeat(25), false),
        ("John.Smith", true),
        ("Bus.57", true),
        ("a_b", false),
        ("a b", false),
        ("jöhn", false),
        ("  Bus.57  ", true),
    ];
    for (login, ok) in cases {
        let draft = UserDraft {
            login: Some((*login).into()),
            ..valid_draft()
        };
        let want: &[&str] = if *ok { &[] } else { &["login"] };
        assert_fields(validate(&draft), want, &format!("login {login:?}"));
    }
    let missing = UserDraft {
        login: None,
        ..valid_draft()
    };
    assert_fields(validate(&missing), &["login"], "missing login");
}

#[test]
fn login_messages_say_what_is_wrong() {
    let err = |login: &str| {
        let draft = UserDraft {
            login: Some(login.into()),
            ..valid_draft()
        };
        validate(&draft).unwrap_err().errors()[0].message.clone()
    };
    assert!(err("ab").contains("3 to 24"), "{}", err("ab"));
    assert!(err("ab").contains("it has 2"));
    assert!(err("a_b").contains("'_'"));
    assert!(err("a b").contains("a space"));
}

#[test]
fn names() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("Zoë", "Brontë", &[]),
        ("José", "Nuñez-García", &[]),
        ("李", "王", &[]),
        ("Алёна", "Иванова", &[]),
        ("محمد", "علي", &[]),
        ("R2", "D2", &[]),
        ("", "Smith", &["first_name"]),
        ("   ", "Smith", &["first_name"]),
        ("---", "Smith", &["first_name"]),
        ("John", "...", &["last_name"]),
        ("John", "", &["last_name"]),
        ("Jo\u{7}hn", "Smith", &["first_name"]),
        (&"x".repeat(101), "Smith", &["first_name"]),
    ];
    for (first, last, fields) in cases {
        let draft = UserDraft {
            first_name: Some((*first).into()),
            last_name: Some((*last).into()),
            ..valid_draft()
        };
        assert_fields(
            validate(&draft),
            fields,
            &format!("names {first:?} {last:?}"),
        );
    }
}

#[test]
fn last_name_minimum_is_tenant_policy() {
    let eschat = TenantSettings {
        last_name_min_length: 3,
        ..TenantSettings::default()
    };
    for (last, ok) in [
        ("Li", false),
        ("Lee", true),
        ("Ng", false),
        ("王小明", true),
    ] {
        let draft = UserDraft {
            last_name: Some(last.into()),
            ..valid_draft()
        };
        let want: &[&str] = if ok { &[] } else { &["last_name"] };
        assert_fields(validate_with(&draft, &eschat), want, last);
        assert_fields(validate(&draft), &[], "default policy accepts short names");
    }
    let draft = UserDraft {
        last_name: Some("Li".into()),
        ..valid_draft()
    };
    let message = validate_with(&draft, &eschat).unwrap_err().errors()[0]
        .message
        .clone();
    assert!(message.contains("at least 3"), "{message}");
}

#[test]
fn imei_and_activation_method() {
    let cases: &[(Option<&str>, Option<&str>, &[&str])] = &[
        (Some("manual"), Some("1234567890123"), &[]),
        (Some("manual"), Some("490154203237518"), &[]),
        (Some("manual"), Some("49-015420-323751-8"), &[]),
        (Some("manual"), Some("490154203237519"), &["imei"]),
        (Some("manual"), Some("12345678901234"), &["imei"]),
        (Some("manual"), Some("12345678901a3"), &["imei"]),
        (Some("manual"), None, &["imei"]),
        (None, Some("1234567890123"), &["imei"]),
        (Some("Automatic"), None, &[]),
        (Some("by pigeon"), None, &["activation_method"]),
    ];
    for (method, imei, fields) in cases {
        let draft = UserDraft {
            activation_method: method.map(Into::into),
            imei: imei.map(Into::into),
            ..valid_draft()
        };
        assert_fields(validate(&draft), fields, &format!("{method:?} {imei:?}"));
    }
    let draft = UserDraft {
        activation_method: Some("manual".into()),
        imei: Some("490154203237519".into()),
        ..valid_draft()
    };
    let message = validate(&draft).unwrap_err().errors()[0].message.clone();
    assert!(message.contains("check digit"), "{message}");
    let draft = UserDraft {
        activation_method: Some("manual".into()),
        imei: Some("12345678901234".into()),
        ..valid_draft()
    };
    let message = validate(&draft).unwrap_err().errors()[0].message.clone();
    assert!(
        message.contains("13 or 15") && message.contains("14"),
        "{message}"
    );
}

#[test]
fn phones_are_stored_in_e164_using_the_tenant_country() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("US", "(201) 555-0123", Some("+12015550123")),
        ("US", "201-555-0123", Some("+12015550123")),
        ("US", "+44 20 7946 0958", Some("+442079460958")),
        ("GB", "020 7946 0958", Some("+442079460958")),
        ("DE", "030 123456", Some("+4930123456")),
        ("US", "call me maybe", None),
        ("US", "12", None),
        ("US", "+999 123", None),
    ];
    for (country, raw, want) in cases {
        let settings = TenantSettings {
            default_country: Country::parse(country).unwrap(),
            ..TenantSettings::default()
        };
        let draft = UserDraft {
            mobile_phone: Some((*raw).into()),
            ..valid_draft()
        };
        let result = validate_with(&draft, &settings);
        match want {
            Some(e164) => {
                let profile = result.unwrap_or_else(|e| panic!("{raw}: {e}")).profile;
                assert_eq!(profile.mobile_phone.unwrap().as_str(), *e164, "{raw}");
            }
            None => assert_fields(result, &["mobile_phone"], raw),
        }
    }
}

#[test]
fn email_and_phone() {
    let cases: &[(Option<&str>, Option<&str>, &[&str])] = &[
        (Some("a@example.com"), None, &[]),
        (None, Some("+12015550123"), &[]),
        (None, None, &["email", "mobile_phone"]),
        (Some("  "), Some(""), &["email", "mobile_phone"]),
        (Some("not-an-email"), None, &["email"]),
        (Some("a@localhost"), None, &["email"]),
        (Some("a@@example.com"), None, &["email"]),
        (Some("Zoë@example.com"), None, &[]),
    ];
    for (email, phone, fields) in cases {
        let draft = UserDraft {
            email: email.map(Into::into),
            mobile_phone: phone.map(Into::into),
            ..valid_draft()
        };
        assert_fields(validate(&draft), fields, &format!("{email:?} {phone:?}"));
    }
}

#[test]
fn tenant_policy_can_require_both_contacts() {
    let strict = TenantSettings {
        require_email: true,
        require_mobile_phone: true,
        ..TenantSettings::default()
    };
    assert_fields(
        validate_with(&valid_draft(), &strict),
        &["mobile_phone"],
        "phone missing",
    );
    let phone_only = UserDraft {
        email: None,
        mobile_phone: Some("+12015550123".into()),
        ..valid_draft()
    };
    assert_fields(
        validate_with(&phone_only, &strict),
        &["email"],
        "email missing",
    );
}

#[test]
fn priority() {
    for (p, ok) in [
        (-1, false),
        (0, true),
        (3, true),
        (5, true),
        (6, false),
        (i64::MAX, false),
    ] {
        let draft = UserDraft {
            priority: Some(p),
            ..valid_draft()
        };
        let want: &[&str] = if ok { &[] } else { &["priority"] };
        assert_fields(validate(&draft), want, &format!("priority {p}"));
    }
}

#[test]
fn system_users_must_name_their_client_type() {
    let cases: &[(&str, Option<&str>, &[&str])] = &[
        // PBX system users (seed 004) have no client to name; only an RTP gateway must.
        ("call_queue", None, &[]),
        ("conference_bridge", Some("unknown"), &[]),
        ("auto_attendant", Some("rtp_gateway"), &[]),
        ("rtp_gateway", None, &["client_type"]),
        ("RTP Gateway", Some("unknown"), &["client_type"]),
        ("rtp_gateway", Some("rtp_gateway"), &[]),
        ("person", None, &[]),
        ("person", Some("RTP Gateway"), &[]),
        ("person", Some("toaster"), &["client_type"]),
        ("robot", Some("web"), &["kind"]),
    ];
    for (kind, client_type, fields) in cases {
        let draft = UserDraft {
            kind: Some((*kind).into()),
            client_type: client_type.map(Into::into),
            ..valid_draft()
        };
        assert_fields(validate(&draft), fields, &format!("{kind} {client_type:?}"));
    }
}

#[test]
fn send_text_needs_a_mobile_phone() {
    let draft = UserDraft {
        send_text: Some(true),
        ..valid_draft()
    };
    assert_fields(validate(&draft), &["send_text"], "no phone");
    let draft = UserDraft {
        send_text: Some(true),
        mobile_phone: Some("+12015550123".into()),
        ..valid_draft()
    };
    assert!(validate(&draft).unwrap().profile.send_text);
}

#[test]
fn roles_scope_and_lists() {
    let cases: Vec<(UserDraft, &[&str])> = vec![
        (
            UserDraft {
                roles: Some(vec![]),
                ..valid_draft()
            },
            &["roles"],
        ),
        (
            UserDraft {
                roles: Some(vec!["agent".into(), "wizard".into()]),
                ..valid_draft()
            },
            &["roles[1]"],
        ),
        (
            UserDraft {
                roles: Some(vec!["Team Manager".into(), "analyst".into()]),
                ..valid_draft()
            },
            &[],
        ),
        (
            UserDraft {
                scope: Some("galactic".into()),
                ..valid_draft()
            },
            &["scope"],
        ),
        (
            UserDraft {
                scope: Some("call center agent".into()),
                ..valid_draft()
            },
            &[],
        ),
        (
            UserDraft {
                allowed_ips: Some(vec![
                    "10.0.0.0/8".into(),
                    "192.168.1.7".into(),
                    "::1/128".into(),
                ]),
                ..valid_draft()
            },
            &[],
        ),
        (
            UserDraft {
                allowed_ips: Some(vec![
                    "10.0.0.0/8".into(),
                    "10.0.0.0/33".into(),
                    "banana".into(),
                ]),
                ..valid_draft()
            },
            &["allowed_ips[1]", "allowed_ips[2]"],
        ),
        (
            UserDraft {
                max_live_chats: Some(-1),
                max_nrt_chats: Some(1001),
                ..valid_draft()
            },
            &["max_live_chats", "max_nrt_chats"],
        ),
        (
            UserDraft {
                login_using: Some("email".into()),
                email: None,
                mobile_phone: Some("+12015550123".into()),
                ..valid_draft()
            },
            &["login_using"],
        ),
        (
            UserDraft {
                language: Some("pt-BR".into()),
                ..valid_draft()
            },
            &[],
        ),
        (
            UserDraft {
                language: Some("Portuguese!".into()),
                ..valid_draft()
            },
            &["language"],
        ),
        (
            UserDraft {
                groups: Some(vec!["night-shift".into(), "a#b".into()]),
                ..valid_draft()
            },
            &["group_ids[1]"],
        ),
        (
            UserDraft {
                department_id: Some("support".into()),
                ..valid_draft()
            },
            &["department_id"],
        ),
        (
            UserDraft {
                department_id: None,
                ..valid_draft()
            },
            &[],
        ),
    ];
    for (i, (draft, fields)) in cases.iter().enumerate() {
        assert_fields(validate(draft), fields, &format!("case {i}"));
    }
}

#[test]
fn passwords_are_checked_against_the_policy() {
    let weak = UserDraft {
        password: Some(Password::new("password".into())),
        ..valid_draft()
    };
    let errors = validate(&weak).unwrap_err();
    assert_fields(Err(errors.clone()), &["password"], "weak");
    assert!(
        !errors.to_string().contains("password\""),
        "never echo the password"
    );
    assert!(!errors.errors()[0].message.contains("password"));
    let strong = UserDraft {
        password: Some(Password::new("Correct9horse".into())),
        ..valid_draft()
    };
    assert!(validate(&strong).unwrap().password.is_some());
}

#[test]
fn every_error_is_reported_at_once() {
    let draft = UserDraft {
        login: Some("a b".into()),
        first_name: None,
        last_name: Some("!!".into()),
        email: None,
        mobile_phone: None,
        priority: Some(9),
        department_id: Some("nowhere".into()),
        ..UserDraft::default()
    };
    assert_fields(
        validate(&draft),
        &[
            "login",
            "first_name",
            "last_name",
            "email",
            "mobile_phone",
            "priority",
            "department_id",
        ],
        "everything wrong",
    );
}

#[test]
fn disable_reasons() {
    assert_eq!(validate_disable_reason(None).unwrap(), None);
    assert_eq!(validate_disable_reason(Some("  ")).unwrap(), None);
    let max = "r".repeat(150);
    assert_eq!(
        validate_disable_reason(Some(&max)).unwrap(),
        Some(max.clone())
    );
    let err = validate_disable_reason(Some(&"r".repeat(151))).unwrap_err();
    assert!(err.mentions("reason"));
    assert!(err.errors()[0].message.contains("150"));
    let accents = "é".repeat(150);
    assert!(
        validate_disable_reason(Some(&accents)).is_ok(),
        "counts characters, not bytes"
    );
}

#[test]
fn drafts_from_profiles_validate_back_to_the_same_profile() {
    let draft = UserDraft {
        mobile_phone: Some("(201) 555-0123".into()),
        roles: Some(vec!["analyst".into(), "agent".into()]),
        allowed_ips: Some(vec!["10.1.2.3/8".into()]),
        activation_method: Some("manual".into()),
        imei: Some("490154203237518".into()),
        ..valid_draft()
    };
    let profile = validate(&draft).unwrap().profile;
    let again = validate(&UserDraft::from(&profile)).unwrap().profile;
    assert_eq!(again, profile);
    assert_eq!(profile.allowed_ips[0].to_string(), "10.0.0.0/8");
}

#[test]
fn drafts_reject_unknown_json_fields() {
    let err = serde_json::from_str::<UserDraft>(r#"{"login":"abc","trusted":true}"#).unwrap_err();
    assert!(err.to_string().contains("trusted"), "{err}");
}

#[test]
fn a_department_is_optional_unless_the_policy_requires_one() {
    let without = UserDraft {
        department_id: None,
        ..valid_draft()
    };
    assert_eq!(validate(&without).unwrap().profile.department_id, None);
    let strict = TenantSettings {
        require_department: true,
        ..TenantSettings::default()
    };
    assert_fields(
        validate_with(&without, &strict),
        &["department_id"],
        "required by policy",
    );
    let blank = UserDraft {
        department_id: Some("  ".into()),
        ..valid_draft()
    };
    assert_fields(validate_with(&blank, &strict), &["department_id"], "blank");
    assert!(validate_with(&valid_draft(), &strict).is_ok());
}

#[test]
fn logins_may_be_e_mail_addresses_where_the_tenant_allows_it() {
    let draft = UserDraft {
        login: Some("Ann.Lee@Example.com".into()),
        email: None,
        ..valid_draft()
    };
    assert_fields(
        validate(&draft),
        &["login", "email", "mobile_phone"],
        "not allowed by default, so no address stands in for the e-mail",
    );
    let lenient = TenantSettings {
        logins_may_be_emails: true,
        ..TenantSettings::default()
    };
    let user = validate_with(&draft, &lenient).unwrap().profile;
    assert_eq!(user.login.as_str(), "Ann.Lee@Example.com");
    assert_eq!(
        user.email.as_ref().map(|e| e.as_str()),
        Some("Ann.Lee@Example.com"),
        "a blank e-mail takes the login's value"
    );
    let other = UserDraft {
        email: Some("ann.private@example.org".into()),
        ..draft.clone()
    };
    let user = validate_with(&other, &lenient).unwrap().profile;
    assert_eq!(user.email.unwrap().as_str(), "ann.private@example.org");
    let bad = UserDraft {
        login: Some("ann@nowhere".into()),
        email: Some("ann@example.com".into()),
        ..draft
    };
    assert_fields(validate_with(&bad, &lenient), &["login"], "not an address");
    // Plain logins keep their rules under the lenient policy.
    let short = UserDraft {
        login: Some("ab".into()),
        ..valid_draft()
    };
    assert_fields(validate_with(&short, &lenient), &["login"], "short");
}

struct WithPickLists {
    locations: roster_domain::validation::PickList,
}

impl roster_domain::validation::Directory for WithPickLists {
    fn has_department(&self, id: &DepartmentId) -> bool {
        id.as_str() == "sales"
    }

    fn locations(&self) -> Option<&roster_domain::validation::PickList> {
        Some(&self.locations)
    }
}

#[test]
fn pick_lists_bind_once_the_tenant_keeps_entries() {
    let settings = TenantSettings::default();
    let draft = UserDraft {
        location: Some("zurich".into()),
        job_description: Some("Anything goes".into()),
        ..valid_draft()
    };
    let empty = WithPickLists {
        locations: Default::default(),
    };
    assert!(
        validate_user(&draft, &settings, &empty).is_ok(),
        "no list: free text"
    );
    let kept = WithPickLists {
        locations: roster_domain::validation::PickList::new([
            "Zürich".to_owned(),
            "Zurich".to_owned(),
        ]),
    };
    let user = validate_user(&draft, &settings, &kept).unwrap().profile;
    assert_eq!(
        user.location.as_deref(),
        Some("Zurich"),
        "as the list spells it"
    );
    assert_eq!(user.job_description.as_deref(), Some("Anything goes"));
    let elsewhere = UserDraft {
        location: Some("Geneva".into()),
        ..valid_draft()
    };
    let errors = validate_user(&elsewhere, &settings, &kept).unwrap_err();
    assert!(errors.mentions("location"), "{errors}");
    assert!(
        errors.to_string().contains("Zurich"),
        "names the choices: {errors}"
    );
}
