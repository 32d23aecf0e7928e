//! Storage against the emulator: uniqueness, optimistic locking, tenant isolation, paging and
//! search, through the same adapter the functions use.

use std::collections::{BTreeSet, HashSet};

use aws_sdk_dynamodb::types::{KeyType, ProjectionType};
use futures::future::join_all;
use roster_aws::keys;
use roster_domain::activation::ActivationCode;
use roster_domain::directory::device::DeviceDraft;
use roster_domain::enums::{Role, UserKind, UserStatus};
use roster_domain::ids::{Actor, DepartmentId, ImportJobId, UserId};
use roster_domain::import::job::{ImportJob, ImportMode, ImportStatus, Uploader};
use roster_domain::password::{Password, PasswordHash};
use roster_domain::store::{
    ActivationCodeStore, CreateUser, DeleteUser, DepartmentStore, FindUser, GetUser,
    ImportJobStore, ListUsers, StoreError, TenantSettingsStore, UniqueField, UpdateUser, UserQuery,
};
use roster_domain::tenant::{Country, TenantSettings};
use roster_domain::user::{Disabled, Stamp, User};
use roster_domain::validation::UserDraft;
use roster_tests::*;
use time::{Duration, OffsetDateTime};

fn assert_conflict(result: Result<(), StoreError>, field: UniqueField) {
    match result {
        Err(StoreError::Conflict { field: f }) => assert_eq!(f, field),
        other => panic!("expected a {} conflict, got {other:?}", field.as_str()),
    }
}

/// The ids a search for `text` finds, every page followed.
async fn search_ids(
    store: &roster_aws::DynamoStore,
    tenant: &roster_domain::ids::TenantId,
    text: &str,
) -> Vec<UserId> {
    let query = UserQuery {
        text: Some(text.to_owned()),
        ..UserQuery::default()
    };
    let pages = all_pages(store, tenant, query).await;
    pages.concat().into_iter().map(|u| u.id).collect()
}

/// Every page of a listing, following cursors; panics on a runaway loop.
async fn all_pages(
    store: &roster_aws::DynamoStore,
    tenant: &roster_domain::ids::TenantId,
    query: UserQuery,
) -> Vec<Vec<User>> {
    let mut pages = Vec::new();
    let mut query = query;
    loop {
        let page = store.list_users(tenant, &query).await.unwrap();
        pages.push(page.items);
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => return pages,
        }
        assert!(pages.len() < 500, "pagination does not end");
    }
}

#[tokio::test]
async fn every_field_round_trips() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let mut user = user_from(
        &tenant,
        &dept,
        UserDraft {
            login: Some("Bus.57".into()),
            first_name: Some("Zoë".into()),
            last_name: Some("Łukasiewicz-王".into()),
            email: Some("Zoe@Example.com".into()),
            mobile_phone: Some("(201) 555-0123".into()),
            business_phone: Some("+44 20 7946 0958".into()),
            kind: Some("call_queue".into()),
            roles: Some(vec!["team_manager".into(), "agent_tester".into()]),
            scope: Some("call_center_agent".into()),
            priority: Some(5),
            client_type: Some("rtp_gateway".into()),
            activation_method: Some("manual".into()),
            imei: Some("490154203237518".into()),
            send_text: Some(true),
            maximal_contacts: Some(false),
            in_address_book: Some(false),
            nickname: Some("Zo".into()),
            language: Some("pt-BR".into()),
            show_photo: Some(true),
            photo: Some("photos/zoe.png".into()),
            max_live_chats: Some(4),
            max_nrt_chats: Some(9),
            login_using: Some("both".into()),
            business_unit: Some("EMEA".into()),
            location: Some("Kraków".into()),
            job_description: Some("Dispatcher".into()),
            company: Some("Acme".into()),
            customer_code: Some("C-42".into()),
            udid: Some("udid-1".into()),
            allowed_ips: Some(vec!["10.0.0.0/8".into(), "2001:db8::/32".into()]),
            groups: Some(vec!["night-shift".into()]),
            devices: Some(vec![DeviceDraft {
                extension: Some("1001".into()),
                label: Some("desk".into()),
                mac_address: Some("00:1A:2B:3C:4D:5E".into()),
                ..DeviceDraft::default()
            }]),
            ..UserDraft::default()
        },
    );
    user.password_hash = Some(PasswordHash::hash(&Password::new("Correct9horse".into())).unwrap());
    user.password_reset_required = true;
    user.status = UserStatus::Disabled;
    user.disabled = Some(Disabled {
        reason: Some("on leave".into()),
        stamp: Stamp::now(&Actor::new("boss")),
    });
    user.trusted = true;
    store.create_user(&user).await.unwrap();

    let back = store.get_user(&tenant, &user.id).await.unwrap().unwrap();
    assert_eq!(back, user);
    assert_eq!(
        back.profile.mobile_phone.as_ref().unwrap().as_str(),
        "+12015550123"
    );
    let by_login = store
        .find_by_login(&tenant, "BUS.57")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_login.id, user.id);
    let by_email = store
        .find_by_email(&tenant, "zoe@example.COM")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_email.id, user.id);
}

#[tokio::test]
async fn logins_and_emails_are_unique_regardless_of_case() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let first = person(
        &tenant,
        &dept,
        "John.Smith",
        "John",
        "Smith",
        Some("john@example.com"),
    );
    store.create_user(&first).await.unwrap();

    let same_login = person(
        &tenant,
        &dept,
        "JOHN.smith",
        "Other",
        "Person",
        Some("other@example.com"),
    );
    assert_conflict(store.create_user(&same_login).await, UniqueField::Login);
    let same_email = person(
        &tenant,
        &dept,
        "other",
        "Other",
        "Person",
        Some("John@EXAMPLE.com"),
    );
    assert_conflict(store.create_user(&same_email).await, UniqueField::Email);

    // The failed creates left nothing behind: neither user, nor their other claim.
    assert!(
        store
            .get_user(&tenant, &same_login.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_by_email(&tenant, "other@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_by_login(&tenant, "other")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn fifty_concurrent_creates_of_one_login_yield_exactly_one_user() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let users: Vec<User> = (0..50)
        .map(|i| {
            person(
                &tenant,
                &dept,
                "Race.Login",
                "Racer",
                "Number",
                Some(&format!("racer{i}@example.com")),
            )
        })
        .collect();
    let results = join_all(users.iter().map(|u| store.create_user(u))).await;

    let winners: Vec<&User> = users
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_ok())
        .map(|(u, _)| u)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one create succeeds");
    let conflicts = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Err(StoreError::Conflict {
                    field: UniqueField::Login
                })
            )
        })
        .count();
    assert_eq!(conflicts, 49, "every other create is a login conflict");

    let holder = store
        .find_by_login(&tenant, "race.login")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.id, winners[0].id);
    // No orphaned claims: only the winner's e-mail is taken.
    for u in &users {
        let email = u.profile.email.as_ref().unwrap().as_str();
        let found = store.find_by_email(&tenant, email).await.unwrap();
        assert_eq!(
            found.map(|f| f.id),
            (u.id == holder.id).then_some(u.id),
            "{email}"
        );
    }
    let listed = all_pages(&store, &tenant, UserQuery::default())
        .await
        .concat();
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn renaming_a_login_frees_the_old_one() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let user = person(
        &tenant,
        &dept,
        "old.name",
        "Ann",
        "Lee",
        Some("ann@example.com"),
    );
    store.create_user(&user).await.unwrap();

    let mut renamed = user.clone().touched(&admin());
    renamed.profile = user_from(
        &tenant,
        &dept,
        UserDraft {
            login: Some("New.Name".into()),
            email: Some("ann.lee@example.com".into()),
            ..UserDraft::from(&user.profile)
        },
    )
    .profile;
    store.update_user(&user, &renamed).await.unwrap();

    assert_eq!(
        store
            .find_by_login(&tenant, "new.name")
            .await
            .unwrap()
            .unwrap()
            .id,
        user.id
    );
    assert!(
        store
            .find_by_login(&tenant, "old.name")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_by_email(&tenant, "ann@example.com")
            .await
            .unwrap()
            .is_none()
    );

    let newcomer = person(
        &tenant,
        &dept,
        "Old.Name",
        "Bob",
        "Ray",
        Some("ann@example.com"),
    );
    store.create_user(&newcomer).await.unwrap();
    assert_eq!(
        store
            .find_by_login(&tenant, "old.name")
            .await
            .unwrap()
            .unwrap()
            .id,
        newcomer.id
    );

    // Taking a login someone holds is refused and changes nothing.
    let mut thief = renamed.clone().touched(&admin());
    thief.profile.login = newcomer.profile.login.clone();
    assert_conflict(
        store.update_user(&renamed, &thief).await,
        UniqueField::Login,
    );
    assert_eq!(
        store.get_user(&tenant, &user.id).await.unwrap().unwrap(),
        renamed
    );
}

#[tokio::test]
async fn stale_versions_are_rejected_and_change_nothing() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let v1 = person(
        &tenant,
        &dept,
        "locker",
        "Lock",
        "Smith",
        Some("lock@example.com"),
    );
    store.create_user(&v1).await.unwrap();

    let mut by_alice = v1.clone().touched(&Actor::new("alice"));
    by_alice.profile.first_name = "Alice-edit".into();
    store.update_user(&v1, &by_alice).await.unwrap();

    let mut by_bob = v1.clone().touched(&Actor::new("bob"));
    by_bob.profile.first_name = "Bob-edit".into();
    by_bob.profile.login = roster_tests::person(&tenant, &dept, "bobs.login", "x", "y", None)
        .profile
        .login;
    assert!(matches!(
        store.update_user(&v1, &by_bob).await,
        Err(StoreError::VersionMismatch)
    ));

    let stored = store.get_user(&tenant, &v1.id).await.unwrap().unwrap();
    assert_eq!(stored, by_alice);
    assert_eq!(stored.version, 2);
    assert!(
        store
            .find_by_login(&tenant, "bobs.login")
            .await
            .unwrap()
            .is_none(),
        "no claim leaked"
    );
    assert!(matches!(
        store.delete_user(&v1).await,
        Err(StoreError::VersionMismatch)
    ));
    assert!(store.get_user(&tenant, &v1.id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_recorded_activation_is_a_new_version_that_stale_edits_cannot_overwrite() {
    use roster_domain::activation::{ActivationReason, ActivationState, RecordActivation};
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let v1 = person(&tenant, &dept, "texted", "Tex", "Ted", None);
    store.create_user(&v1).await.unwrap();
    let state = ActivationState {
        request_id: "r-1".into(),
        reason: ActivationReason::Welcome,
        deliveries: vec![],
    };
    store
        .record_activation(&tenant, &v1.id, &state)
        .await
        .unwrap();

    let mut edit = v1.clone().touched(&Actor::new("admin"));
    edit.profile.first_name = "Edited".into();
    assert!(matches!(
        store.update_user(&v1, &edit).await,
        Err(StoreError::VersionMismatch)
    ));
    let stored = store.get_user(&tenant, &v1.id).await.unwrap().unwrap();
    assert_eq!(stored.version, v1.version + 1);
    assert_eq!(stored.activation, Some(state));
    assert_eq!(stored.profile.first_name, "Tex");
}

#[tokio::test]
async fn deleting_a_user_frees_login_and_email() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let user = person(
        &tenant,
        &dept,
        "gone.soon",
        "Gone",
        "Soon",
        Some("gone@example.com"),
    );
    store.create_user(&user).await.unwrap();
    store.delete_user(&user).await.unwrap();
    assert!(store.get_user(&tenant, &user.id).await.unwrap().is_none());
    assert!(
        store
            .find_by_login(&tenant, "gone.soon")
            .await
            .unwrap()
            .is_none()
    );
    let again = person(
        &tenant,
        &dept,
        "Gone.Soon",
        "Back",
        "Again",
        Some("GONE@example.com"),
    );
    store.create_user(&again).await.unwrap();
}

#[tokio::test]
async fn users_need_an_existing_department() {
    let store = store().await;
    let (tenant, _) = tenant_with_department(&store).await;
    let ghost = DepartmentId::parse("ghost").unwrap();
    let user = person(&tenant, &ghost, "lost.soul", "Lost", "Soul", None);
    assert!(matches!(
        store.create_user(&user).await,
        Err(StoreError::MissingDepartment)
    ));
    assert!(
        store
            .find_by_login(&tenant, "lost.soul")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn another_tenant_sees_and_touches_nothing() {
    let store = store().await;
    let (tenant_a, dept) = tenant_with_department(&store).await;
    let (tenant_b, _) = tenant_with_department(&store).await;
    let user = person(
        &tenant_a,
        &dept,
        "only.a",
        "Alpha",
        "Tenant",
        Some("alpha@example.com"),
    );
    store.create_user(&user).await.unwrap();

    assert!(store.get_user(&tenant_b, &user.id).await.unwrap().is_none());
    assert!(
        store
            .find_by_login(&tenant_b, "only.a")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_by_email(&tenant_b, "alpha@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let listed = store
        .list_users(&tenant_b, &UserQuery::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    for q in ["alpha", "tenant", "only", "alpha@"] {
        let query = UserQuery {
            text: Some(q.into()),
            ..UserQuery::default()
        };
        assert!(
            store
                .list_users(&tenant_b, &query)
                .await
                .unwrap()
                .items
                .is_empty(),
            "{q}"
        );
    }
    let dept_query = UserQuery {
        department_id: Some(dept.clone()),
        ..UserQuery::default()
    };
    assert!(
        store
            .list_users(&tenant_b, &dept_query)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A forged record claiming tenant B with A's user id addresses B's keys only.
    let mut forged = user.clone();
    forged.tenant_id = tenant_b.clone();
    let mut forged_next = forged.clone().touched(&admin());
    forged_next.profile.first_name = "Hijacked".into();
    assert!(store.update_user(&forged, &forged_next).await.is_err());
    assert!(store.delete_user(&forged).await.is_err());
    assert!(
        store.get_user(&tenant_b, &user.id).await.unwrap().is_none(),
        "nothing created in B"
    );
    assert_eq!(
        store.get_user(&tenant_a, &user.id).await.unwrap().unwrap(),
        user,
        "A unchanged"
    );
}

#[tokio::test]
async fn pages_of_seven_return_120_users_exactly_once_in_creation_order() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let mut created = Vec::new();
    for i in 0..120 {
        let u = person(
            &tenant,
            &dept,
            &format!("pager{i:03}"),
            "Page",
            "Turner",
            None,
        );
        store.create_user(&u).await.unwrap();
        created.push(u.id);
    }
    let pages = all_pages(
        &store,
        &tenant,
        UserQuery {
            limit: 7,
            ..UserQuery::default()
        },
    )
    .await;
    assert_eq!(pages.len(), 18, "120 / 7 rounded up");
    assert!(pages[..17].iter().all(|p| p.len() == 7));
    let ids: Vec<UserId> = pages.concat().iter().map(|u| u.id).collect();
    assert_eq!(ids.len(), 120);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        120,
        "no user twice"
    );
    let mut sorted = created.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ordered by id, i.e. by creation");

    let by_dept = all_pages(
        &store,
        &tenant,
        UserQuery {
            limit: 50,
            department_id: Some(dept.clone()),
            ..UserQuery::default()
        },
    )
    .await;
    assert_eq!(by_dept.concat().len(), 120);
}

#[tokio::test]
async fn list_filters_select_by_department_role_status_and_kind() {
    let store = store().await;
    let (tenant, sales) = tenant_with_department(&store).await;
    let support = DepartmentId::parse("support").unwrap();
    create_department(&store, &tenant, &support).await;

    let agent = person(&tenant, &sales, "agent.one", "Agent", "One", None);
    let manager = user_from(
        &tenant,
        &support,
        UserDraft {
            login: Some("boss.one".into()),
            first_name: Some("Boss".into()),
            last_name: Some("One".into()),
            email: Some("boss@example.com".into()),
            roles: Some(vec!["team_manager".into()]),
            ..UserDraft::default()
        },
    );
    let queue = user_from(
        &tenant,
        &support,
        UserDraft {
            login: Some("queue.one".into()),
            first_name: Some("Queue".into()),
            last_name: Some("One".into()),
            email: Some("queue@example.com".into()),
            kind: Some("call_queue".into()),
            client_type: Some("rtp_gateway".into()),
            ..UserDraft::default()
        },
    );
    let mut disabled = person(
        &tenant,
        &sales,
        "off.one",
        "Off",
        "One",
        Some("off@example.com"),
    );
    disabled.status = UserStatus::Disabled;
    for u in [&agent, &manager, &queue, &disabled] {
        store.create_user(u).await.unwrap();
    }
    let logins = |users: Vec<User>| -> BTreeSet<String> {
        users
            .into_iter()
            .map(|u| u.profile.login.to_string())
            .collect()
    };
    let run = |query: UserQuery| {
        let store = store.clone();
        let tenant = tenant.clone();
        async move { all_pages(&store, &tenant, query).await.concat() }
    };
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();

    assert_eq!(
        logins(
            run(UserQuery {
                department_id: Some(support.clone()),
                ..Default::default()
            })
            .await
        ),
        set(&["boss.one", "queue.one"])
    );
    assert_eq!(
        logins(
            run(UserQuery {
                role: Some(Role::TeamManager),
                ..Default::default()
            })
            .await
        ),
        set(&["boss.one"])
    );
    assert_eq!(
        logins(
            run(UserQuery {
                status: Some(UserStatus::Disabled),
                ..Default::default()
            })
            .await
        ),
        set(&["off.one"])
    );
    assert_eq!(
        logins(
            run(UserQuery {
                kind: Some(UserKind::CallQueue),
                ..Default::default()
            })
            .await
        ),
        set(&["queue.one"])
    );
    assert_eq!(
        logins(
            run(UserQuery {
                hide_system: true,
                ..Default::default()
            })
            .await
        ),
        set(&["agent.one", "boss.one", "off.one"])
    );
    assert_eq!(
        logins(
            run(UserQuery {
                department_id: Some(sales.clone()),
                status: Some(UserStatus::Active),
                limit: 1,
                ..Default::default()
            })
            .await
        ),
        set(&["agent.one"])
    );
}

#[tokio::test]
async fn search_finds_prefixes_of_each_field_in_any_case() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let zoe = person(
        &tenant,
        &dept,
        "zb.login",
        "Zoë",
        "Brontë",
        Some("Writer@Moors.example"),
    );
    let emile = person(
        &tenant,
        &dept,
        "E.Zola",
        "Émile",
        "Zola",
        Some("emile@paris.example"),
    );
    let other = person(
        &tenant,
        &dept,
        "someone",
        "Quentin",
        "Quist",
        Some("q@q.example"),
    );
    for u in [&zoe, &emile, &other] {
        store.create_user(u).await.unwrap();
    }
    // First name, last name, e-mail and login, each by a prefix in another case.
    assert_eq!(search_ids(&store, &tenant, "ZOË").await, vec![zoe.id]);
    assert_eq!(search_ids(&store, &tenant, "bron").await, vec![zoe.id]);
    assert_eq!(search_ids(&store, &tenant, "WRITER@m").await, vec![zoe.id]);
    assert_eq!(search_ids(&store, &tenant, "ZB.").await, vec![zoe.id]);
    assert_eq!(search_ids(&store, &tenant, "émi").await, vec![emile.id]);
    assert_eq!(
        search_ids(&store, &tenant, "E\u{301}MILE").await,
        vec![emile.id],
        "decomposed accent"
    );
    assert_eq!(search_ids(&store, &tenant, "e.z").await, vec![emile.id]);
    // "z" matches Zoë (first name, login) and Émile (last name): each once.
    let z = search_ids(&store, &tenant, "z").await;
    assert_eq!(z.len(), 2, "{z:?}");
    assert_eq!(
        z.iter().collect::<HashSet<_>>(),
        HashSet::from([&zoe.id, &emile.id])
    );
    assert!(search_ids(&store, &tenant, "nobody").await.is_empty());
}

#[tokio::test]
async fn a_login_that_begins_the_email_is_found_through_the_email_entry() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    // No login entry is written for this user (the e-mail entry covers every prefix).
    let local = person(
        &tenant,
        &dept,
        "JSmith",
        "John",
        "Smith",
        Some("jsmith@acme.example"),
    );
    store.create_user(&local).await.unwrap();
    assert_eq!(search_ids(&store, &tenant, "jsm").await, vec![local.id]);
    assert_eq!(
        search_ids(&store, &tenant, "JSMITH").await,
        vec![local.id],
        "the whole login"
    );
    assert_eq!(
        search_ids(&store, &tenant, "jsmith@").await,
        vec![local.id],
        "the e-mail, once"
    );
    assert!(search_ids(&store, &tenant, "jsmithx").await.is_empty());

    // A new e-mail that the login no longer begins brings the login entry back.
    edit_profile(&store, &local, &dept, |d| {
        d.email = Some("john.smith@acme.example".into())
    })
    .await;
    assert_eq!(
        search_ids(&store, &tenant, "jsm").await,
        vec![local.id],
        "by the login"
    );
    assert_eq!(
        search_ids(&store, &tenant, "john.").await,
        vec![local.id],
        "by the new e-mail"
    );
    assert!(
        search_ids(&store, &tenant, "jsmith@").await.is_empty(),
        "the old e-mail is gone"
    );
}

/// Stores `user` with its profile changed by `change`, as an admin's update would.
async fn edit_profile(
    store: &roster_aws::DynamoStore,
    user: &User,
    dept: &DepartmentId,
    change: impl FnOnce(&mut UserDraft),
) {
    let mut draft = UserDraft::from(&user.profile);
    change(&mut draft);
    let mut next = user.clone().touched(&admin());
    next.profile = user_from(&user.tenant_id, dept, draft).profile;
    store.update_user(user, &next).await.unwrap();
}

/// The search index attributes a stored user carries.
async fn search_fields_stored(
    tenant: &roster_domain::ids::TenantId,
    id: &UserId,
) -> Vec<&'static str> {
    let raw = stored_item(keys::user(tenant, id)).await.unwrap();
    keys::SearchField::ALL
        .iter()
        .map(|f| f.index())
        .filter(|index| raw.contains_key(index.pk))
        .map(|index| index.name)
        .collect()
}

#[tokio::test]
async fn a_first_name_that_begins_the_email_is_found_through_the_email_entry() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let mary = person(
        &tenant,
        &dept,
        "mmajor",
        "Mary",
        "Major",
        Some("mary.major@acme.example"),
    );
    store.create_user(&mary).await.unwrap();
    assert_eq!(
        search_fields_stored(&tenant, &mary.id).await,
        vec!["search_last_name", "search_email", "search_login"],
        "no first-name entry: the e-mail entry covers every prefix of it"
    );
    for text in ["m", "Mar", "MARY", "mary.", "maj", "mmaj"] {
        assert_eq!(
            search_ids(&store, &tenant, text).await,
            vec![mary.id],
            "{text}"
        );
    }
    assert!(search_ids(&store, &tenant, "maryx").await.is_empty());

    // A first name the address no longer begins brings its entry back.
    edit_profile(&store, &mary, &dept, |d| {
        d.first_name = Some("Marie".into())
    })
    .await;
    assert_eq!(
        search_fields_stored(&tenant, &mary.id).await,
        vec![
            "search_first_name",
            "search_last_name",
            "search_email",
            "search_login"
        ]
    );
    assert_eq!(search_ids(&store, &tenant, "marie").await, vec![mary.id]);
    assert_eq!(
        search_ids(&store, &tenant, "mary").await,
        vec![mary.id],
        "by the e-mail"
    );
}

#[tokio::test]
async fn search_pages_never_repeat_a_user() {
    let store = store().await;
    let (tenant, dept) = tenant_with_department(&store).await;
    let mut ids = HashSet::new();
    for i in 0..23 {
        // Every user matches "ma" by first name, most also by last name, e-mail and login.
        let last = if i % 3 == 0 { "Other" } else { "Mason" };
        let u = person(
            &tenant,
            &dept,
            &format!("ma{i:02}"),
            &format!("Ma{i:02}"),
            last,
            Some(&format!("ma{i}@example.com")),
        );
        store.create_user(&u).await.unwrap();
        ids.insert(u.id);
    }
    let pages = all_pages(
        &store,
        &tenant,
        UserQuery {
            text: Some("MA".into()),
            limit: 4,
            ..UserQuery::default()
        },
    )
    .await;
    let found: Vec<UserId> = pages.concat().iter().map(|u| u.id).collect();
    assert_eq!(found.len(), 23, "each user exactly once across pages");
    assert_eq!(
        found.iter().collect::<HashSet<_>>(),
        ids.iter().collect::<HashSet<_>>()
    );
}

#[tokio::test]
async fn forged_cursors_are_refused() {
    let store = store().await;
    let tenant = fresh_tenant();
    for cursor in ["garbage", "eyJrIjoibCJ9", ""] {
        let query = UserQuery {
            cursor: Some(cursor.into()),
            ..UserQuery::default()
        };
        assert!(
            matches!(
                store.list_users(&tenant, &query).await,
                Err(StoreError::BadCursor)
            ),
            "{cursor}"
        );
    }
}

#[tokio::test]
async fn settings_default_until_saved() {
    let store = store().await;
    let tenant = fresh_tenant();
    assert_eq!(
        store.get_settings(&tenant).await.unwrap(),
        TenantSettings::default()
    );
    let custom = TenantSettings {
        default_country: Country::parse("FR").unwrap(),
        last_name_min_length: 3,
        require_email: true,
        sms_sender_id: Some("ACME".into()),
        ..TenantSettings::default()
    };
    store.put_settings(&tenant, &custom).await.unwrap();
    assert_eq!(store.get_settings(&tenant).await.unwrap(), custom);
    assert_eq!(
        store.get_settings(&fresh_tenant()).await.unwrap(),
        TenantSettings::default()
    );
}

#[tokio::test]
async fn departments_lifecycle() {
    let store = store().await;
    let (tenant, sales) = tenant_with_department(&store).await;
    let support = DepartmentId::parse("support").unwrap();
    create_department(&store, &tenant, &support).await;
    let mut dup = store
        .get_department(&tenant, &sales)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        store.create_department(&dup).await,
        Err(StoreError::AlreadyExists)
    ));

    let before = dup.clone();
    dup.name = "Sales EMEA".into();
    store.rename_department(&before, &dup).await.unwrap();
    // Names are unique per tenant in any case; a rename frees the old name.
    let mut other = dup.clone();
    other.id = DepartmentId::generate();
    other.name = "SALES emea".into();
    assert!(matches!(
        store.create_department(&other).await,
        Err(StoreError::NameTaken)
    ));
    other.name = before.name.clone();
    store.create_department(&other).await.unwrap();
    let support_dept = store
        .get_department(&tenant, &support)
        .await
        .unwrap()
        .unwrap();
    let mut clash = support_dept.clone();
    clash.name = "sales emea".into();
    assert!(matches!(
        store.rename_department(&support_dept, &clash).await,
        Err(StoreError::NameTaken)
    ));
    store.delete_department(&other).await.unwrap();
    let ids: Vec<String> = store
        .list_departments(&tenant)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id.to_string())
        .collect();
    assert_eq!(ids, vec!["sales", "support"]);
    assert_eq!(
        store
            .get_department(&tenant, &sales)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Sales EMEA"
    );
    assert!(
        store
            .list_departments(&fresh_tenant())
            .await
            .unwrap()
            .is_empty()
    );

    let member = person(&tenant, &sales, "member", "Mem", "Ber", None);
    store.create_user(&member).await.unwrap();
    assert!(store.department_has_users(&tenant, &sales).await.unwrap());
    assert!(!store.department_has_users(&tenant, &support).await.unwrap());
    store.delete_department(&support_dept).await.unwrap();
    assert!(matches!(
        store.delete_department(&support_dept).await,
        Err(StoreError::NotFound)
    ));
    // Its name is free again.
    store.create_department(&support_dept).await.unwrap();
}

#[tokio::test]
async fn import_jobs_are_listed_by_upload_date_range() {
    let store = store().await;
    let tenant = fresh_tenant();
    let base = OffsetDateTime::parse(
        "2026-11-01T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let mut jobs = Vec::new();
    for day in [0, 3, 10, 20] {
        let mut job = ImportJob::new(
            ImportJobId::generate(),
            tenant.clone(),
            format!("day{day}.csv"),
            format!("imports/{tenant}/day{day}.csv"),
            ImportMode::Partial,
            Uploader {
                actor: admin(),
                name: "Admin".into(),
                claimed_by: None,
            },
        );
        job.status = ImportStatus::Queued;
        job.uploaded_at = base + Duration::days(day);
        store.create_job(&job).await.unwrap();
        jobs.push(job);
    }
    let in_range = store
        .list_jobs(&tenant, base + Duration::days(1), base + Duration::days(11))
        .await
        .unwrap();
    let names: Vec<&str> = in_range.iter().map(|j| j.file_name.as_str()).collect();
    assert_eq!(names, vec!["day3.csv", "day10.csv"]);
    let exact_end = store
        .list_jobs(&tenant, base, base + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(exact_end.len(), 1, "the end of the range is exclusive");

    let mut job = jobs[0].clone();
    job.status = ImportStatus::Completed;
    job.counts.created = 7;
    let before = job.version;
    job.version += 1;
    store.save_job(before, &job).await.unwrap();
    assert!(
        matches!(
            store.save_job(before, &job).await,
            Err(StoreError::VersionMismatch)
        ),
        "a stale save is refused"
    );
    assert_eq!(store.get_job(&tenant, &job.id).await.unwrap().unwrap(), job);
    assert!(
        store
            .get_job(&fresh_tenant(), &job.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.create_job(&job).await,
        Err(StoreError::AlreadyExists)
    ));
}

#[tokio::test]
async fn activation_codes_carry_a_ttl_and_expire() {
    let store = store().await;
    let tenant = fresh_tenant();
    let user = UserId::generate();
    let code = ActivationCode {
        tenant_id: tenant.clone(),
        user_id: user,
        code_hash: "ab".repeat(32),
        expires_at: OffsetDateTime::now_utc() + Duration::hours(24),
        failed_attempts: 0,
        request_id: None,
        used: false,
    };
    store.put_code(&code).await.unwrap();
    let mut back = store.get_code(&tenant, &user).await.unwrap().unwrap();
    assert_eq!(back.code_hash, code.code_hash);
    assert!(
        store
            .get_code(&fresh_tenant(), &user)
            .await
            .unwrap()
            .is_none()
    );

    let (pk, sk) = keys::activation_code(&tenant, &user);
    let raw = dynamodb()
        .await
        .get_item()
        .table_name(table_name())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(sk))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let ttl: i64 = raw[keys::TTL_ATTRIBUTE].as_n().unwrap().parse().unwrap();
    assert_eq!(
        ttl,
        code.expires_at.unix_timestamp(),
        "TTL attribute in epoch seconds"
    );

    back.expires_at = OffsetDateTime::now_utc() - Duration::seconds(1);
    store.put_code(&back).await.unwrap();
    assert!(
        store.get_code(&tenant, &user).await.unwrap().is_none(),
        "expired codes are gone even before TTL deletes them"
    );
    store.delete_code(&tenant, &user).await.unwrap();
}

#[tokio::test]
async fn the_table_created_from_the_template_has_the_indexes_the_code_uses() {
    let table = dynamodb()
        .await
        .describe_table()
        .table_name(table_name())
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let key_names = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
        let hash = schema
            .iter()
            .find(|k| k.key_type == KeyType::Hash)
            .unwrap()
            .attribute_name
            .clone();
        let range = schema
            .iter()
            .find(|k| k.key_type == KeyType::Range)
            .unwrap()
            .attribute_name
            .clone();
        (hash, range)
    };
    assert_eq!(
        key_names(table.key_schema()),
        (keys::PK.to_owned(), keys::SK.to_owned())
    );
    let indexes = table.global_secondary_indexes();
    let expected = keys::all_indexes();
    assert_eq!(indexes.len(), expected.len());
    for index in expected {
        let found = indexes
            .iter()
            .find(|i| i.index_name() == Some(index.name))
            .unwrap_or_else(|| panic!("{} missing", index.name));
        assert_eq!(
            key_names(found.key_schema()),
            (index.pk.to_owned(), index.sk.to_owned()),
            "{}",
            index.name
        );
        if index.name.starts_with("search_") {
            let projection = found.projection().unwrap();
            assert_eq!(projection.projection_type(), Some(&ProjectionType::Include));
            let carried: BTreeSet<&str> = projection
                .non_key_attributes()
                .iter()
                .map(String::as_str)
                .collect();
            let terms: BTreeSet<&str> = keys::SearchField::ALL
                .iter()
                .map(|f| f.index().sk)
                .collect();
            assert_eq!(carried, terms, "search entries carry all four terms");
        }
    }
    let ttl = dynamodb()
        .await
        .describe_time_to_live()
        .table_name(table_name())
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.attribute_name(), Some(keys::TTL_ATTRIBUTE));
    assert_eq!(
        ttl.time_to_live_status(),
        Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Enabled)
    );
}

#[tokio::test]
async fn status_changes_beyond_the_item_bound_get_items_of_their_own_and_go_with_the_user() {
    use roster_domain::user::STATUS_HISTORY_ON_USER;
    let store = store().await;
    let (tenant, sales) = tenant_with_department(&store).await;
    let mut user = person(&tenant, &sales, "flip.flop", "Flip", "Flop", None);
    // A full history, built in memory: one stored write instead of fifty transactions.
    for i in 0..STATUS_HISTORY_ON_USER {
        let status = if i % 2 == 0 {
            UserStatus::Disabled
        } else {
            UserStatus::Active
        };
        user.set_status(status, Some(format!("change {i}")), &admin());
    }
    store.create_user(&user).await.unwrap();
    let oldest = user.status_history.last().unwrap().clone();
    let mut next = user.clone().touched(&admin());
    next.set_status(UserStatus::Disabled, Some("the 51st".into()), &admin());
    store.update_user(&user, &next).await.unwrap();

    let stored = store.get_user(&tenant, &user.id).await.unwrap().unwrap();
    assert_eq!(stored.status_history.len(), STATUS_HISTORY_ON_USER);
    assert_eq!(stored.status_history[0].reason.as_deref(), Some("the 51st"));
    assert!(!stored.status_history.contains(&oldest));
    assert_eq!(
        store.older_status_changes(&tenant, &user.id).await.unwrap(),
        vec![oldest],
        "nothing is lost: the change that fell off the item is an item of its own"
    );
    store.delete_user(&stored).await.unwrap();
    assert!(
        store
            .older_status_changes(&tenant, &user.id)
            .await
            .unwrap()
            .is_empty()
    );
}

mod department_members {
    use super::*;
    use roster_domain::department::Department;

    async fn department(
        store: &roster_aws::DynamoStore,
        tenant: &roster_domain::ids::TenantId,
        name: &str,
    ) -> Department {
        let stamp = Stamp::now(&admin());
        let department = Department {
            id: DepartmentId::generate(),
            tenant_id: tenant.clone(),
            name: name.into(),
            created: stamp.clone(),
            updated: stamp,
        };
        store.create_department(&department).await.unwrap();
        department
    }

    #[tokio::test]
    async fn a_user_who_joined_after_the_check_stops_the_delete_of_the_department() {
        let store = store().await;
        let tenant = fresh_tenant();
        let field = department(&store, &tenant, "Field").await;
        // The use case found the department empty (its index may lag); a user joins now.
        let late = person(&tenant, &field.id, "late.joiner", "Late", "Joiner", None);
        store.create_user(&late).await.unwrap();
        assert!(matches!(
            store.delete_department(&field).await,
            Err(StoreError::DepartmentNotEmpty)
        ));
        assert!(
            store
                .get_department(&tenant, &field.id)
                .await
                .unwrap()
                .is_some(),
            "nothing deleted"
        );
        // Once the user has moved out, the department goes, and nobody can join it after.
        let other = department(&store, &tenant, "Office").await;
        let mut moved = late.clone().touched(&admin());
        moved.profile.department_id = Some(other.id.clone());
        store.update_user(&late, &moved).await.unwrap();
        store.delete_department(&field).await.unwrap();
        let again = person(&tenant, &field.id, "too.late", "Too", "Late", None);
        assert!(matches!(
            store.create_user(&again).await,
            Err(StoreError::MissingDepartment)
        ));
        assert!(matches!(
            store.delete_department(&other).await,
            Err(StoreError::DepartmentNotEmpty)
        ));
        store.delete_user(&moved).await.unwrap();
        store.delete_department(&other).await.unwrap();
    }

    #[tokio::test]
    async fn fifty_users_created_at_once_in_one_department_all_succeed() {
        let store = store().await;
        let tenant = fresh_tenant();
        let crowd = department(&store, &tenant, "Crowd").await;
        let users: Vec<User> = (0..50)
            .map(|i| {
                person(
                    &tenant,
                    &crowd.id,
                    &format!("crowd{i}"),
                    "Crowd",
                    "Member",
                    None,
                )
            })
            .collect();
        let results = join_all(users.iter().map(|u| store.create_user(u))).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(
            counted_members(&tenant, &crowd.id).await,
            50,
            "spread over the counters, each user counted once"
        );
    }

    #[tokio::test]
    async fn imported_users_are_left_off_the_counters_until_they_move() {
        let store = store().await;
        let tenant = fresh_tenant();
        let field = department(&store, &tenant, "Field").await;
        let office = department(&store, &tenant, "Office").await;
        let mut imported = person(&tenant, &field.id, "imported", "Im", "Ported", None);
        imported.uncounted_in = Some(field.id.clone());
        store.create_user(&imported).await.unwrap();
        assert_eq!(counted_members(&tenant, &field.id).await, 0, "not counted");
        // A move counts the user where it goes, and it stays counted when it comes back.
        let mut moved = imported.clone().touched(&admin());
        moved.profile.department_id = Some(office.id.clone());
        store.update_user(&imported, &moved).await.unwrap();
        assert_eq!(counted_members(&tenant, &field.id).await, 0);
        assert_eq!(counted_members(&tenant, &office.id).await, 1);
        let stored = store.get_user(&tenant, &moved.id).await.unwrap().unwrap();
        assert_eq!(
            stored.uncounted_in, None,
            "a moved user is counted from now on"
        );
        let mut back = stored.clone().touched(&admin());
        back.profile.department_id = Some(field.id.clone());
        store.update_user(&stored, &back).await.unwrap();
        assert_eq!(counted_members(&tenant, &field.id).await, 1);
        assert_eq!(counted_members(&tenant, &office.id).await, 0);
        store.delete_user(&back).await.unwrap();
        assert_eq!(counted_members(&tenant, &field.id).await, 0);
        // Deleting a user that was never counted leaves the counters where they were.
        let mut other = person(&tenant, &field.id, "other", "Ot", "Her", None);
        other.uncounted_in = Some(field.id.clone());
        store.create_user(&other).await.unwrap();
        store.delete_user(&other).await.unwrap();
        assert_eq!(
            counted_members(&tenant, &field.id).await,
            0,
            "never below zero"
        );
        store.delete_department(&field).await.unwrap();
    }

    fn running_job(tenant: &roster_domain::ids::TenantId) -> ImportJob {
        let mut job = ImportJob::new(
            ImportJobId::generate(),
            tenant.clone(),
            "staff.csv".into(),
            format!("imports/{tenant}/staff.csv"),
            ImportMode::Partial,
            Uploader {
                actor: admin(),
                name: "Admin".into(),
                claimed_by: None,
            },
        );
        job.status = ImportStatus::InProgress;
        job
    }

    #[tokio::test]
    async fn a_department_delete_waits_for_the_imports_that_hold_the_departments() {
        use roster_domain::store::DepartmentHold;
        let store = store().await;
        let tenant = fresh_tenant();
        let empty = department(&store, &tenant, "Empty").await;
        let mut job = running_job(&tenant);
        store.create_job(&job).await.unwrap();
        store.hold_departments(&tenant, &job.id).await.unwrap();
        store.hold_departments(&tenant, &job.id).await.unwrap();
        // A hold of a job that is gone does not keep anything.
        let vanished = ImportJobId::generate();
        store.hold_departments(&tenant, &vanished).await.unwrap();
        assert!(matches!(
            store.delete_department(&empty).await,
            Err(StoreError::ImportRunning)
        ));
        assert!(
            store
                .get_department(&tenant, &empty.id)
                .await
                .unwrap()
                .is_some(),
            "nothing deleted"
        );
        // The job finished without giving its hold back (its worker died): the delete drops it.
        let expected = job.version;
        job.status = ImportStatus::Completed;
        job.version += 1;
        store.save_job(expected, &job).await.unwrap();
        store.delete_department(&empty).await.unwrap();
        assert!(
            store
                .get_department(&tenant, &empty.id)
                .await
                .unwrap()
                .is_none()
        );
        // Given back and taken again, the hold of a running job is respected once more.
        let next = department(&store, &tenant, "Next").await;
        let running = running_job(&tenant);
        store.create_job(&running).await.unwrap();
        store.hold_departments(&tenant, &running.id).await.unwrap();
        assert!(matches!(
            store.delete_department(&next).await,
            Err(StoreError::ImportRunning)
        ));
        store
            .release_departments(&tenant, &running.id)
            .await
            .unwrap();
        store
            .release_departments(&tenant, &running.id)
            .await
            .unwrap();
        store.delete_department(&next).await.unwrap();
        // An entry that is no job id (written by hand, say) holds nothing either.
        let last = department(&store, &tenant, "Last").await;
        let (pk, sk) = keys::department_hold(&tenant);
        dynamodb()
            .await
            .update_item()
            .table_name(table_name())
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
            .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(sk))
            .update_expression("ADD jobs :junk")
            .expression_attribute_values(
                ":junk",
                aws_sdk_dynamodb::types::AttributeValue::Ss(vec!["not-a-job".into()]),
            )
            .send()
            .await
            .unwrap();
        store.delete_department(&last).await.unwrap();
    }

    #[tokio::test]
    async fn a_department_from_before_the_counters_gets_them_when_a_user_joins() {
        let store = store().await;
        let tenant = fresh_tenant();
        let old = department(&store, &tenant, "Old").await;
        for counter in 0..keys::MEMBER_COUNTERS {
            let (pk, sk) = keys::department_members(&tenant, &old.id, counter);
            dynamodb()
                .await
                .delete_item()
                .table_name(table_name())
                .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
                .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(sk))
                .send()
                .await
                .unwrap();
        }
        let joiner = person(&tenant, &old.id, "old.timer", "Old", "Timer", None);
        store.create_user(&joiner).await.unwrap();
        assert!(matches!(
            store.delete_department(&old).await,
            Err(StoreError::DepartmentNotEmpty)
        ));
    }
}

/// Pagination under writes (issue 16): for random page sizes and random creates and deletes
/// between pages, every user present from the first page to the last is listed exactly once,
/// and no user twice. The schedule comes from a fixed seed, so every run makes the same one.
#[tokio::test]
async fn paging_lists_every_user_once_while_others_come_and_go() {
    use rand::{Rng, SeedableRng};
    let store = store().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_204);
    for scenario in 0..6 {
        let (tenant, dept) = tenant_with_department(&store).await;
        let mut steady = BTreeSet::new();
        for i in 0..24 {
            let user = person(
                &tenant,
                &dept,
                &format!("steady{i}"),
                "Steady",
                "User",
                None,
            );
            store.create_user(&user).await.unwrap();
            steady.insert(user.id);
        }
        let mut passing: Vec<User> = Vec::new();
        let by_department = rng.gen_bool(0.5);
        let mut query = UserQuery {
            limit: rng.gen_range(1..8),
            department_id: by_department.then(|| dept.clone()),
            ..UserQuery::default()
        };
        let mut seen = Vec::new();
        for step in 0..200 {
            let page = store.list_users(&tenant, &query).await.unwrap();
            seen.extend(page.items.iter().map(|u| u.id));
            // Between pages: others are created and deleted, as an import or an admin would.
            for _ in 0..rng.gen_range(0..4) {
                if rng.gen_bool(0.6) || passing.is_empty() {
                    let n = passing.len() + step * 10;
                    let user = person(
                        &tenant,
                        &dept,
                        &format!("passing{scenario}x{n}"),
                        "Passing",
                        "User",
                        None,
                    );
                    store.create_user(&user).await.unwrap();
                    passing.push(user);
                } else {
                    let gone = passing.swap_remove(rng.gen_range(0..passing.len()));
                    store.delete_user(&gone).await.unwrap();
                }
            }
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        let distinct: BTreeSet<_> = seen.iter().collect();
        assert_eq!(
            distinct.len(),
            seen.len(),
            "scenario {scenario}: a user listed twice"
        );
        let missing: Vec<_> = steady.iter().filter(|id| !distinct.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "scenario {scenario}: steady users not listed: {missing:?}"
        );
    }
}

/// A create whose answer was lost and which the SDK sent again meets its own user: the
/// caller gets the created user, not a 409 for the user it has just made (stored once).
#[tokio::test]
async fn a_create_sent_again_after_a_lost_answer_succeeds_once() {
    use roster_domain::use_cases::users::create_user;
    use roster_tests::faults::{Fault, FaultyStore, Plan, Throttle, ThrottleRule};
    let (tenant, dept) = tenant_with_department(&store().await).await;
    let faulty = FaultyStore {
        inner: store().await,
        plan: Plan::new([Fault::on("create_user+retried", "lost.answer", 1)]),
        throttle: Throttle::new(ThrottleRule::Unlimited),
    };
    let publisher =
        roster_aws::SnsActivationPublisher::from_environment(&roster_aws::load_aws_config().await)
            .unwrap();
    let caller = admin_of(&tenant);
    let draft = UserDraft {
        login: Some("lost.answer".into()),
        first_name: Some("Lost".into()),
        last_name: Some("Answer".into()),
        email: Some("lost.answer@example.com".into()),
        department_id: Some(dept.to_string()),
        ..UserDraft::default()
    };
    let created = create_user(&faulty, &publisher, &caller, draft)
        .await
        .expect("its own write is not a conflict");
    assert_eq!(faulty.plan.fired().len(), 1, "the answer was lost once");
    let found = store()
        .await
        .find_by_login(&tenant, "lost.answer")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(found.id, created.user.id);
    assert_eq!(counted_members(&tenant, &dept).await, 1, "counted once");
}
