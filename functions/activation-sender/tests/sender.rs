//! The activation sender against the emulator: SMS and e-mails are read back from it.

use activation_sender::{App, handle};
use aws_lambda_events::event::sns::SnsEvent;
use roster_aws::{DynamoStore, SesEmail, SnsSms};
use roster_domain::activation::{DeliveryOutcome, SenderConfig};
use roster_domain::enums::UserStatus;
use roster_domain::ids::{DepartmentId, TenantId};
use roster_domain::password::{Password, PasswordHash};
use roster_domain::store::{ActivationCodeStore, CreateUser, GetUser, UpdateUser};
use roster_domain::user::User;
use roster_domain::validation::UserDraft;
use roster_tests::emulator::{code_in, emails_to, sms_to, unique_us_mobile};
use roster_tests::{create_department, fresh_tenant, store, user_from};
use serde_json::json;

async fn app() -> App<DynamoStore, SnsSms, SesEmail> {
    let config = roster_aws::load_aws_config().await;
    App::from_environment(&config).expect("run through scripts/test")
}

/// A user in a fresh tenant with a unique phone and e-mail (plus `extra` fields).
async fn seeded(store: &DynamoStore, extra: UserDraft) -> User {
    let tenant = fresh_tenant();
    let dept = DepartmentId::parse("sales").unwrap();
    create_department(store, &tenant, &dept).await;
    let id = ulid::Ulid::new().to_string().to_lowercase();
    let user = user_from(
        &tenant,
        &dept,
        UserDraft {
            login: extra.login.clone().or(Some(format!("u{}", &id[..12]))),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            email: extra.email.clone().or(Some(format!("{id}@example.com"))),
            mobile_phone: extra.mobile_phone.clone().or(Some(unique_us_mobile())),
            ..extra
        },
    );
    store.create_user(&user).await.unwrap();
    user
}

/// The sample event with its placeholders pointed at `user` and a fresh request id.
fn event(file: &str, tenant: &TenantId, user: &User, request_id: &str) -> SnsEvent {
    let path = format!(
        "{}/../../events/activation-sender/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("\\\"acme\\\"", &format!("\\\"{tenant}\\\""))
        .replace("01JD0000000000000000000000", &user.id.to_string())
        .replace("01JD00000000000000000REQ01", request_id)
        .replace("01JD00000000000000000REQ02", request_id);
    serde_json::from_str(&text).unwrap()
}

fn request_event(tenant: &TenantId, user: &User, channels: &[&str]) -> SnsEvent {
    let mut e = event(
        "welcome-sms-email.json",
        tenant,
        user,
        &ulid::Ulid::new().to_string(),
    );
    let mut message: serde_json::Value = serde_json::from_str(&e.records[0].sns.message).unwrap();
    message["channels"] = json!(channels);
    e.records[0].sns.message = message.to_string();
    e
}

async fn code_matches(store: &DynamoStore, user: &User, code: &str) -> bool {
    let stored = store
        .get_code(&user.tenant_id, &user.id)
        .await
        .unwrap()
        .expect("a code is stored");
    let hash: PasswordHash = serde_json::from_value(json!(stored.code_hash)).unwrap();
    assert!(!stored.code_hash.contains(code), "only a hash is stored");
    hash.verify(&Password::new(code.to_owned()))
}

#[tokio::test]
async fn the_sample_request_sends_one_sms_and_one_email_however_often_it_is_delivered() {
    let app = app().await;
    let user = seeded(&app.store, UserDraft::default()).await;
    let phone = user.profile.mobile_phone.clone().unwrap();
    let email = user.profile.email.clone().unwrap();
    let request_id = ulid::Ulid::new().to_string();
    for _ in 0..3 {
        let e = event(
            "welcome-sms-email.json",
            &user.tenant_id,
            &user,
            &request_id,
        );
        handle(&app, e).await.unwrap();
    }
    let texts = sms_to(phone.as_str());
    assert_eq!(texts.len(), 1, "one SMS for three deliveries: {texts:?}");
    let mails = emails_to(email.as_str());
    assert_eq!(mails.len(), 1, "one e-mail for three deliveries");
    let code = code_in(&texts[0]).expect("the SMS carries the code");
    assert_eq!(
        code_in(&mails[0].1).as_deref(),
        Some(code.as_str()),
        "the same code by both channels"
    );
    // The invitation says who the user is and where to sign in (seeds 003, 004).
    let login = user.profile.login.as_str();
    for text in [&texts[0], &mails[0].1] {
        assert!(
            text.contains(&format!("Sign in on your device as {login}"))
                && text.contains(user.tenant_id.as_str()),
            "{text}"
        );
    }
    assert!(mails[0].0.contains("activation code"), "{:?}", mails[0].0);
    assert!(code_matches(&app.store, &user, &code).await);

    let stored = app
        .store
        .get_user(&user.tenant_id, &user.id)
        .await
        .unwrap()
        .unwrap();
    let state = stored
        .activation
        .expect("the outcome is recorded on the user");
    assert_eq!(state.request_id, request_id);
    assert!(
        state
            .deliveries
            .iter()
            .all(|d| d.outcome == DeliveryOutcome::Sent),
        "{state:?}"
    );
    assert_eq!(
        stored.version,
        user.version + 1,
        "the outcome is recorded once, as a new version (an edit from before it gets 412)"
    );
}

#[tokio::test]
async fn malformed_and_unknown_messages_are_dropped_without_failing() {
    let app = app().await;
    let user = seeded(&app.store, UserDraft::default()).await;
    for file in ["malformed.json", "unsupported-version.json"] {
        let e = event(file, &user.tenant_id, &user, &ulid::Ulid::new().to_string());
        handle(&app, e)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let mut ghost = user.clone();
    ghost.id = roster_domain::ids::UserId::generate();
    handle(&app, request_event(&user.tenant_id, &ghost, &["sms"]))
        .await
        .unwrap();
    assert!(sms_to(user.profile.mobile_phone.as_ref().unwrap().as_str()).is_empty());
}

#[tokio::test]
async fn no_international_sms_but_email_still_goes() {
    let app = app().await;
    let user = seeded(
        &app.store,
        UserDraft {
            mobile_phone: Some("+44 7911 123456".into()),
            ..UserDraft::default()
        },
    )
    .await;
    handle(
        &app,
        request_event(&user.tenant_id, &user, &["sms", "email"]),
    )
    .await
    .unwrap();
    assert!(sms_to("+447911123456").is_empty(), "no SMS abroad");
    assert_eq!(
        emails_to(user.profile.email.as_ref().unwrap().as_str()).len(),
        1
    );
    let state = app
        .store
        .get_user(&user.tenant_id, &user.id)
        .await
        .unwrap()
        .unwrap()
        .activation
        .unwrap();
    let sms = state
        .deliveries
        .iter()
        .find(|d| d.channel == roster_domain::activation::Channel::Sms)
        .unwrap();
    assert_eq!(sms.outcome, DeliveryOutcome::NotSent);
    assert!(
        sms.reason.as_deref().unwrap().contains("international SMS"),
        "{sms:?}"
    );
}

#[tokio::test]
async fn disabled_and_manual_users_get_no_code() {
    let app = app().await;
    let mut disabled = seeded(&app.store, UserDraft::default()).await;
    let mut next = disabled.clone().touched(&roster_tests::admin());
    next.status = UserStatus::Disabled;
    app.store.update_user(&disabled, &next).await.unwrap();
    disabled = next;
    let manual = seeded(
        &app.store,
        UserDraft {
            activation_method: Some("manual".into()),
            imei: Some("490154203237518".into()),
            ..UserDraft::default()
        },
    )
    .await;
    for user in [&disabled, &manual] {
        handle(
            &app,
            request_event(&user.tenant_id, user, &["sms", "email"]),
        )
        .await
        .unwrap();
        assert!(sms_to(user.profile.mobile_phone.as_ref().unwrap().as_str()).is_empty());
        assert!(emails_to(user.profile.email.as_ref().unwrap().as_str()).is_empty());
        assert!(
            app.store
                .get_code(&user.tenant_id, &user.id)
                .await
                .unwrap()
                .is_none()
        );
        let state = app
            .store
            .get_user(&user.tenant_id, &user.id)
            .await
            .unwrap()
            .unwrap()
            .activation
            .unwrap();
        assert!(
            state
                .deliveries
                .iter()
                .all(|d| d.outcome == DeliveryOutcome::NotSent && d.reason.is_some())
        );
    }
}

#[tokio::test]
async fn a_failing_sms_service_fails_the_invocation_records_it_and_a_retry_sends_once() {
    let working = app().await;
    let user = seeded(&working.store, UserDraft::default()).await;
    let phone = user.profile.mobile_phone.clone().unwrap();
    // The same SDK client, pointed at a port where nothing listens: every attempt fails.
    let broken_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .load()
        .await;
    let broken = App {
        store: store().await,
        sms: SnsSms::new(&broken_config),
        email: SesEmail::new(&broken_config, "no-reply@roster.example"),
        config: SenderConfig::default(),
    };
    let e = request_event(&user.tenant_id, &user, &["sms"]);
    assert!(
        handle(&broken, e.clone()).await.is_err(),
        "the invocation fails so Lambda retries it"
    );
    let state = working
        .store
        .get_user(&user.tenant_id, &user.id)
        .await
        .unwrap()
        .unwrap()
        .activation
        .unwrap();
    assert_eq!(state.deliveries[0].outcome, DeliveryOutcome::Failed);
    assert!(sms_to(phone.as_str()).is_empty());

    handle(&working, e.clone()).await.unwrap();
    handle(&working, e).await.unwrap();
    assert_eq!(sms_to(phone.as_str()).len(), 1, "the retry sends once");
    let state = working
        .store
        .get_user(&user.tenant_id, &user.id)
        .await
        .unwrap()
        .unwrap()
        .activation
        .unwrap();
    assert_eq!(state.deliveries[0].outcome, DeliveryOutcome::Sent);
}

#[tokio::test]
async fn a_new_request_replaces_the_previous_code() {
    let app = app().await;
    let user = seeded(&app.store, UserDraft::default()).await;
    let phone = user.profile.mobile_phone.clone().unwrap();
    handle(&app, request_event(&user.tenant_id, &user, &["sms"]))
        .await
        .unwrap();
    handle(&app, request_event(&user.tenant_id, &user, &["sms"]))
        .await
        .unwrap();
    let texts = sms_to(phone.as_str());
    assert_eq!(texts.len(), 2);
    let first = code_in(&texts[0]).unwrap();
    let second = code_in(&texts[1]).unwrap();
    assert!(code_matches(&app.store, &user, &second).await);
    assert!(
        first == second || !code_matches(&app.store, &user, &first).await,
        "the old code is dead"
    );
}

#[tokio::test]
async fn the_invitation_names_the_organisation_from_its_settings() {
    use roster_domain::store::TenantSettingsStore;
    use roster_domain::tenant::TenantSettings;
    let app = app().await;
    let user = seeded(&app.store, UserDraft::default()).await;
    app.store
        .put_settings(
            &user.tenant_id,
            &TenantSettings {
                display_name: Some("Acme Field Services".into()),
                ..TenantSettings::default()
            },
        )
        .await
        .unwrap();
    let e = event(
        "welcome-sms-email.json",
        &user.tenant_id,
        &user,
        &ulid::Ulid::new().to_string(),
    );
    handle(&app, e).await.unwrap();
    let mails = emails_to(user.profile.email.as_ref().unwrap().as_str());
    assert_eq!(mails.len(), 1);
    let (subject, body) = &mails[0];
    assert_eq!(
        subject,
        "Welcome to Acme Field Services: your activation code"
    );
    assert!(
        body.contains(&format!(
            "Welcome to Acme Field Services, {}!",
            user.profile.first_name
        )),
        "{body}"
    );
    assert!(body.contains(user.profile.login.as_str()), "{body}");
}

mod faults {
    use super::*;
    use roster_domain::activation::{ActivationRequestLog, Channel};
    use roster_tests::faults::{Fault, FaultyActivationStore, FaultySender, Plan};

    type FaultyApp =
        App<FaultyActivationStore<DynamoStore>, FaultySender<SnsSms>, FaultySender<SesEmail>>;

    /// The real adapters, each failing where `store`, `sms` and `email` say.
    async fn faulty(
        store: Vec<Fault>,
        sms: Vec<Fault>,
        email: Vec<Fault>,
        config: SenderConfig,
    ) -> FaultyApp {
        let real = app().await;
        FaultyApp {
            store: FaultyActivationStore {
                inner: real.store,
                plan: Plan::new(store),
            },
            sms: FaultySender {
                inner: real.sms,
                plan: Plan::new(sms),
            },
            email: FaultySender {
                inner: real.email,
                plan: Plan::new(email),
            },
            config,
        }
    }

    async fn activation(
        app: &FaultyApp,
        user: &User,
    ) -> roster_domain::activation::ActivationState {
        app.store
            .inner
            .get_user(&user.tenant_id, &user.id)
            .await
            .unwrap()
            .unwrap()
            .activation
            .unwrap()
    }

    fn delivery(
        state: &roster_domain::activation::ActivationState,
        channel: Channel,
    ) -> &roster_domain::activation::Delivery {
        state
            .deliveries
            .iter()
            .find(|d| d.channel == channel)
            .unwrap_or_else(|| panic!("the channel is recorded: {state:?}"))
    }

    #[tokio::test]
    async fn a_retry_after_a_failed_email_sends_the_code_already_texted() {
        let real = app().await;
        let user = seeded(&real.store, UserDraft::default()).await;
        let (phone, email) = (
            user.profile.mobile_phone.clone().unwrap(),
            user.profile.email.clone().unwrap(),
        );
        let app = faulty(
            vec![],
            vec![],
            vec![Fault::on("email", email.as_str(), 1)],
            SenderConfig::default(),
        )
        .await;
        let e = request_event(&user.tenant_id, &user, &["sms", "email"]);
        assert!(
            handle(&app, e.clone()).await.is_err(),
            "the e-mail must be retried"
        );
        assert_eq!(
            delivery(&activation(&app, &user).await, Channel::Sms).outcome,
            DeliveryOutcome::Sent
        );
        handle(&app, e).await.unwrap();
        let texts = sms_to(phone.as_str());
        let mails = emails_to(email.as_str());
        assert_eq!((texts.len(), mails.len()), (1, 1), "each channel once");
        let texted = code_in(&texts[0]).unwrap();
        assert_eq!(
            code_in(&mails[0].1),
            Some(texted.clone()),
            "one code for the request"
        );
        assert!(
            code_matches(&app.store.inner, &user, &texted).await,
            "and the texted code works"
        );
        assert_eq!(
            delivery(&activation(&app, &user).await, Channel::Email).outcome,
            DeliveryOutcome::Sent
        );
    }

    #[tokio::test]
    async fn a_request_another_try_holds_fails_this_try_instead_of_being_acknowledged() {
        let app = faulty(vec![], vec![], vec![], SenderConfig::default()).await;
        let user = seeded(&app.store.inner, UserDraft::default()).await;
        let phone = user.profile.mobile_phone.clone().unwrap();
        let e = request_event(&user.tenant_id, &user, &["sms"]);
        let message: serde_json::Value = serde_json::from_str(&e.records[0].sns.message).unwrap();
        let request_id = message["request_id"].as_str().unwrap();
        app.store
            .inner
            .claim(&user.tenant_id, request_id, time::Duration::seconds(45))
            .await
            .unwrap();
        assert!(
            handle(&app, e.clone()).await.is_err(),
            "Lambda must try again later"
        );
        assert!(sms_to(phone.as_str()).is_empty());
        // The holder dies without a word: once its lease runs out, the retry sends.
        app.store
            .inner
            .release(&user.tenant_id, request_id)
            .await
            .unwrap();
        handle(&app, e).await.unwrap();
        assert_eq!(sms_to(phone.as_str()).len(), 1);
    }

    #[tokio::test]
    async fn a_crashed_try_leaves_the_request_to_the_retry_once_its_lease_ends() {
        let config = SenderConfig {
            lease: time::Duration::seconds(1),
            ..SenderConfig::default()
        };
        let app = faulty(vec![], vec![], vec![], config).await;
        let user = seeded(&app.store.inner, UserDraft::default()).await;
        let phone = user.profile.mobile_phone.clone().unwrap();
        let e = request_event(&user.tenant_id, &user, &["sms"]);
        let message: serde_json::Value = serde_json::from_str(&e.records[0].sns.message).unwrap();
        // A try that claimed and died: no release, no finish.
        app.store
            .inner
            .claim(
                &user.tenant_id,
                message["request_id"].as_str().unwrap(),
                time::Duration::seconds(1),
            )
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
        handle(&app, e).await.unwrap();
        assert_eq!(sms_to(phone.as_str()).len(), 1);
    }

    #[tokio::test]
    async fn a_store_error_after_the_claim_is_retried_and_texts_once() {
        let real = app().await;
        let user = seeded(&real.store, UserDraft::default()).await;
        let phone = user.profile.mobile_phone.clone().unwrap();
        for fault in [
            "get_user",
            "put_code",
            "record_activation",
            "mark_delivered",
        ] {
            let app = faulty(
                vec![Fault::on(fault, user.tenant_id.as_str(), 1)],
                vec![],
                vec![],
                SenderConfig::default(),
            )
            .await;
            let e = request_event(&user.tenant_id, &user, &["sms"]);
            assert!(
                handle(&app, e.clone()).await.is_err(),
                "{fault}: the try fails for a retry"
            );
            assert_eq!(app.store.plan.fired().len(), 1, "{fault}");
            handle(&app, e.clone()).await.unwrap();
            handle(&app, e).await.unwrap();
            let texts = sms_to(phone.as_str());
            let last = code_in(texts.last().unwrap()).unwrap();
            assert!(
                code_matches(&app.store.inner, &user, &last).await,
                "{fault}: the code texted last works"
            );
            assert_eq!(
                delivery(&activation(&app, &user).await, Channel::Sms).outcome,
                DeliveryOutcome::Sent,
                "{fault}"
            );
        }
        // One text per request, except where the text had gone before the store failed to
        // remember it (mark_delivered): then the retry texts the same code again.
        let texts = sms_to(phone.as_str());
        assert_eq!(texts.len(), 5, "{texts:?}");
        assert_eq!(
            code_in(&texts[3]),
            code_in(&texts[4]),
            "the resent text carries the same code"
        );
    }

    #[tokio::test]
    async fn the_last_try_records_the_failure_on_the_user_and_goes_to_the_dead_letters() {
        let real = app().await;
        let user = seeded(&real.store, UserDraft::default()).await;
        let phone = user.profile.mobile_phone.clone().unwrap();
        let sms_faults = vec![
            Fault::on("sms", phone.as_str(), 1),
            Fault::on("sms", phone.as_str(), 2),
        ];
        let config = SenderConfig {
            tries: 2,
            ..SenderConfig::default()
        };
        let app = faulty(vec![], sms_faults, vec![], config).await;
        let e = request_event(&user.tenant_id, &user, &["sms"]);
        assert!(handle(&app, e.clone()).await.is_err());
        let first = delivery(&activation(&app, &user).await, Channel::Sms).clone();
        assert!(first.reason.unwrap().contains("will be retried"));
        assert!(
            handle(&app, e.clone()).await.is_err(),
            "the last try fails too: Lambda dead-letters it"
        );
        let last = delivery(&activation(&app, &user).await, Channel::Sms).clone();
        assert_eq!(last.outcome, DeliveryOutcome::Failed);
        assert!(
            last.reason
                .as_deref()
                .unwrap()
                .contains("gave up after 2 tries"),
            "{last:?}"
        );
        // Redriven from the dead letters later, the request still goes out, once.
        handle(&app, e).await.unwrap();
        assert_eq!(sms_to(phone.as_str()).len(), 1);
    }
}
