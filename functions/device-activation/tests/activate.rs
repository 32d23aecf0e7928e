//! `POST /v1/activate` against the emulator.

use device_activation::handle;
use lambda_http::Body;
use roster_aws::DynamoStore;
use roster_domain::activation::{ActivationCode, MAX_ATTEMPTS};
use roster_domain::activation::{ActivationReason, ActivationState, RecordActivation};
use roster_domain::enums::UserStatus;
use roster_domain::ids::DepartmentId;
use roster_domain::ids::{TenantId, UserId};
use roster_domain::password::{Password, PasswordHash};
use roster_domain::store::{
    ActivationCodeStore, ActivationFailures, ActivationLimits, CreateUser, FindUser, GetUser,
    StoreResult, TrustUser, UpdateUser,
};
use roster_domain::user::User;
use roster_domain::validation::UserDraft;
use roster_tests::apigw::{Call, request_from_event};
use roster_tests::{admin, create_department, fresh_tenant, store, user_from};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

async fn seeded(store: &DynamoStore, login: &str, extra: UserDraft) -> User {
    let tenant = fresh_tenant();
    let dept = DepartmentId::parse("sales").unwrap();
    create_department(store, &tenant, &dept).await;
    let user = user_from(
        &tenant,
        &dept,
        UserDraft {
            login: Some(login.into()),
            first_name: Some("Dev".into()),
            last_name: Some("Ice".into()),
            mobile_phone: Some("+12015550123".into()),
            ..extra
        },
    );
    store.create_user(&user).await.unwrap();
    user
}

async fn give_code(store: &DynamoStore, user: &User, code: &str, expires_in: Duration) {
    store
        .put_code(&ActivationCode {
            tenant_id: user.tenant_id.clone(),
            user_id: user.id,
            code_hash: PasswordHash::hash(&Password::new(code.into()))
                .unwrap()
                .as_phc()
                .to_owned(),
            expires_at: OffsetDateTime::now_utc() + expires_in,
            failed_attempts: 0,
            request_id: None,
            used: false,
        })
        .await
        .unwrap();
}

async fn activate<S>(store: &S, body: Value) -> (u16, Value)
where
    S: FindUser + GetUser + TrustUser + ActivationCodeStore + ActivationLimits + Sync,
{
    activate_from(store, body, &roster_tests::apigw::fresh_address()).await
}

/// `POST /v1/activate` from the address `ip`.
async fn activate_from<S>(store: &S, body: Value, ip: &str) -> (u16, Value)
where
    S: FindUser + GetUser + TrustUser + ActivationCodeStore + ActivationLimits + Sync,
{
    let response = handle(
        store,
        Call::new("POST", "/v1/activate")
            .json(body)
            .from_address(ip)
            .request(),
    )
    .await;
    let status = response.status().as_u16();
    let body = match response.into_body() {
        Body::Text(t) => serde_json::from_str(&t).unwrap(),
        _ => Value::Null,
    };
    (status, body)
}

fn failure(body: &Value) -> (&str, u64) {
    (
        body["error"]["code"].as_str().unwrap(),
        body["error"]["attempts_left"].as_u64().unwrap(),
    )
}

async fn trusted(store: &DynamoStore, user: &User) -> bool {
    store
        .get_user(&user.tenant_id, &user.id)
        .await
        .unwrap()
        .unwrap()
        .trusted
}

#[tokio::test]
async fn the_sample_events_activate_by_code_and_by_imei() {
    let store = store().await;
    let by_code = seeded(&store, "John.Smith", UserDraft::default()).await;
    give_code(&store, &by_code, "12345678", Duration::hours(24)).await;
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/device-activation"
    );
    let text = std::fs::read_to_string(format!("{dir}/activate-with-code.json")).unwrap();
    let text = text.replace("\\\"acme\\\"", &format!("\\\"{}\\\"", by_code.tenant_id));
    let response = handle(&store, request_from_event(&text)).await;
    assert_eq!(response.status(), 200);
    assert!(trusted(&store, &by_code).await);

    let by_imei = seeded(
        &store,
        "Bus.57",
        UserDraft {
            activation_method: Some("manual".into()),
            imei: Some("490154203237518".into()),
            ..UserDraft::default()
        },
    )
    .await;
    let text = std::fs::read_to_string(format!("{dir}/activate-with-imei.json")).unwrap();
    let text = text.replace("\\\"acme\\\"", &format!("\\\"{}\\\"", by_imei.tenant_id));
    let response = handle(&store, request_from_event(&text)).await;
    assert_eq!(response.status(), 200);
    assert!(trusted(&store, &by_imei).await);
}

#[tokio::test]
async fn wrong_codes_count_down_and_the_fifth_kills_the_code() {
    let store = store().await;
    let user = seeded(&store, "counted", UserDraft::default()).await;
    give_code(&store, &user, "11112222", Duration::hours(1)).await;
    for left in (0..MAX_ATTEMPTS).rev() {
        let (status, body) = activate(
            &store,
            json!({"tenant_id": user.tenant_id, "login": "counted", "code": "99998888"}),
        )
        .await;
        assert_eq!(
            (status, failure(&body)),
            (401, ("activation_failed", u64::from(left)))
        );
    }
    let (status, body) = activate(
        &store,
        json!({"tenant_id": user.tenant_id, "login": "counted", "code": "11112222"}),
    )
    .await;
    assert_eq!(
        (status, failure(&body)),
        (429, ("too_many_attempts", 0)),
        "the right code no longer works (answered as a locked login is)"
    );
    assert!(!trusted(&store, &user).await);
}

#[tokio::test]
async fn a_code_works_once_and_not_after_expiry() {
    let store = store().await;
    let user = seeded(&store, "once", UserDraft::default()).await;
    give_code(&store, &user, "55556666", Duration::hours(1)).await;
    let body = json!({"tenant_id": user.tenant_id, "login": "ONCE", "code": " 55556666 "});
    let (status, ok) = activate(&store, body.clone()).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["user_id"], user.id.to_string());
    let (status, again) = activate(&store, body).await;
    assert_eq!((status, failure(&again).0), (401, "activation_failed"));

    let late = seeded(&store, "late", UserDraft::default()).await;
    give_code(&store, &late, "77778888", Duration::seconds(-1)).await;
    let (status, _) = activate(
        &store,
        json!({"tenant_id": late.tenant_id, "login": "late", "code": "77778888"}),
    )
    .await;
    assert_eq!(status, 401);
    assert!(!trusted(&store, &late).await);
}

#[tokio::test]
async fn unknown_logins_look_exactly_like_wrong_codes() {
    let store = store().await;
    let user = seeded(&store, "real.user", UserDraft::default()).await;
    give_code(&store, &user, "12121212", Duration::hours(1)).await;
    let wrong = activate(
        &store,
        json!({"tenant_id": user.tenant_id, "login": "real.user", "code": "00000000"}),
    )
    .await;
    let unknown = activate(
        &store,
        json!({"tenant_id": user.tenant_id, "login": "nobody.here", "code": "00000000"}),
    )
    .await;
    let other_tenant = activate(
        &store,
        json!({"tenant_id": fresh_tenant(), "login": "real.user", "code": "12121212"}),
    )
    .await;
    assert_eq!(wrong, unknown, "same status, same body");
    assert_eq!(unknown, other_tenant);
    // And they keep looking alike: both count down to a dead end.
    for _ in 0..5 {
        let wrong = activate(
            &store,
            json!({"tenant_id": user.tenant_id, "login": "real.user", "code": "00000000"}),
        )
        .await;
        let unknown = activate(
            &store,
            json!({"tenant_id": user.tenant_id, "login": "nobody.here", "code": "00000000"}),
        )
        .await;
        assert_eq!(wrong, unknown);
    }
}

#[tokio::test]
async fn disabled_users_and_wrong_imeis_cannot_activate() {
    let store = store().await;
    let user = seeded(&store, "off.user", UserDraft::default()).await;
    give_code(&store, &user, "34343434", Duration::hours(1)).await;
    let mut next = user.clone().touched(&admin());
    next.status = UserStatus::Disabled;
    store.update_user(&user, &next).await.unwrap();
    let (status, _) = activate(
        &store,
        json!({"tenant_id": user.tenant_id, "login": "off.user", "code": "34343434"}),
    )
    .await;
    assert_eq!(status, 401);

    let manual = seeded(
        &store,
        "gateway",
        UserDraft {
            activation_method: Some("manual".into()),
            imei: Some("1234567890123".into()),
            ..UserDraft::default()
        },
    )
    .await;
    let (status, _) = activate(
        &store,
        json!({"tenant_id": manual.tenant_id, "login": "gateway", "imei": "490154203237518"}),
    )
    .await;
    assert_eq!(status, 401);
    let automatic = seeded(&store, "auto.user", UserDraft::default()).await;
    let (status, _) = activate(
        &store,
        json!({"tenant_id": automatic.tenant_id, "login": "auto.user", "imei": "1234567890123"}),
    )
    .await;
    assert_eq!(status, 401, "an automatic user cannot activate by IMEI");
    assert!(!trusted(&store, &manual).await && !trusted(&store, &automatic).await);
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let store = store().await;
    for body in [
        json!({"tenant_id": "acme", "login": "x"}),
        json!({"tenant_id": "acme", "login": "x", "code": "1", "imei": "1234567890123"}),
        json!({"tenant_id": "acme", "login": "x", "code": "1", "extra": true}),
        json!({"login": "x", "code": "1"}),
    ] {
        let (status, reply) = activate(&store, body.clone()).await;
        assert_eq!(status, 400, "{body}: {reply}");
    }
    // Over-long values are named, not a 500 from a key over DynamoDB's limit.
    for (body, field) in [
        (
            json!({"tenant_id": "acme", "login": "x".repeat(5000), "code": "1"}),
            "login",
        ),
        (
            json!({"tenant_id": "acme", "login": "x", "code": "1".repeat(5000)}),
            "code",
        ),
        (
            json!({"tenant_id": "acme", "login": "x", "imei": "1".repeat(5000)}),
            "imei",
        ),
        (
            json!({"tenant_id": "a".repeat(5000), "login": "x", "code": "1"}),
            "tenant_id",
        ),
    ] {
        let (status, reply) = activate(&store, body).await;
        assert_eq!(status, 400, "{field}: {reply}");
        assert_eq!(reply["error"]["fields"][0]["field"], field, "{reply}");
    }
    let (status, _) = activate(
        &store,
        json!({"tenant_id": "a#b", "login": "x", "code": "1"}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = activate(
        &store,
        json!({"tenant_id": "acme", "login": "x", "imei": "12"}),
    )
    .await;
    assert_eq!(status, 422);
}

/// The real store, with the activation sender recording its outcome on the user (a new
/// version) just as the device's code is consumed: the race between the two functions.
struct SenderRecordsMeanwhile<'a>(&'a DynamoStore);

impl FindUser for SenderRecordsMeanwhile<'_> {
    async fn find_by_login(&self, tenant: &TenantId, login: &str) -> StoreResult<Option<User>> {
        self.0.find_by_login(tenant, login).await
    }
    async fn find_by_email(&self, tenant: &TenantId, email: &str) -> StoreResult<Option<User>> {
        self.0.find_by_email(tenant, email).await
    }
}

impl GetUser for SenderRecordsMeanwhile<'_> {
    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>> {
        self.0.get_user(tenant, id).await
    }
}

impl ActivationLimits for SenderRecordsMeanwhile<'_> {
    async fn failures(
        &self,
        t: &TenantId,
        login: &str,
        source: &str,
    ) -> StoreResult<ActivationFailures> {
        self.0.failures(t, login, source).await
    }
    async fn count_failure(
        &self,
        t: &TenantId,
        login: &str,
        source: &str,
        count_login: bool,
    ) -> StoreResult<ActivationFailures> {
        self.0.count_failure(t, login, source, count_login).await
    }
}

impl TrustUser for SenderRecordsMeanwhile<'_> {
    async fn mark_trusted(&self, before: &User, after: &User) -> StoreResult<()> {
        self.0.mark_trusted(before, after).await
    }
}

impl ActivationCodeStore for SenderRecordsMeanwhile<'_> {
    async fn put_code(&self, code: &ActivationCode) -> StoreResult<()> {
        self.0.put_code(code).await
    }
    async fn get_code(&self, t: &TenantId, u: &UserId) -> StoreResult<Option<ActivationCode>> {
        self.0.get_code(t, u).await
    }
    async fn delete_code(&self, t: &TenantId, u: &UserId) -> StoreResult<()> {
        self.0.delete_code(t, u).await
    }
    async fn record_failed_attempt(&self, t: &TenantId, u: &UserId) -> StoreResult<u8> {
        self.0.record_failed_attempt(t, u).await
    }
    async fn consume_code(&self, t: &TenantId, u: &UserId) -> StoreResult<bool> {
        let consumed = self.0.consume_code(t, u).await?;
        let outcome = ActivationState {
            request_id: "sender-meanwhile".into(),
            reason: ActivationReason::Welcome,
            deliveries: vec![],
        };
        self.0.record_activation(t, u, &outcome).await?;
        Ok(consumed)
    }
}

#[tokio::test]
async fn a_user_changed_by_the_sender_meanwhile_is_still_trusted() {
    let store = store().await;
    let user = seeded(&store, "raced", UserDraft::default()).await;
    give_code(&store, &user, "24681357", Duration::hours(1)).await;
    let (status, body) = activate(
        &SenderRecordsMeanwhile(&store),
        json!({"tenant_id": user.tenant_id.as_str(), "login": "raced", "code": "24681357"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let stored = store
        .get_user(&user.tenant_id, &user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.trusted);
    assert_eq!(
        stored.activation.map(|a| a.request_id).as_deref(),
        Some("sender-meanwhile"),
        "the sender's record survives"
    );
    assert_eq!(stored.version, user.version + 2);
}

#[tokio::test]
async fn imei_guessing_locks_the_login_so_even_the_right_imei_waits() {
    let store = store().await;
    let manual = seeded(
        &store,
        "gate.two",
        UserDraft {
            activation_method: Some("manual".into()),
            imei: Some("490154203237518".into()),
            ..UserDraft::default()
        },
    )
    .await;
    let tenant = manual.tenant_id.as_str();
    for left in (0..MAX_ATTEMPTS).rev() {
        let wrong = format!("35{:011}", u64::from(left) + 1);
        let (status, body) = activate(
            &store,
            json!({"tenant_id": tenant, "login": "gate.two", "imei": wrong}),
        )
        .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(failure(&body), ("activation_failed", u64::from(left)));
    }
    let response = handle(
        &store,
        Call::new("POST", "/v1/activate")
            .json(json!({"tenant_id": tenant, "login": "GATE.TWO", "imei": "490154203237518"}))
            .request(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 429, "locked, from any address");
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait));
    assert!(!trusted(&store, &manual).await);
}

#[tokio::test]
async fn one_address_spraying_logins_is_locked_and_others_are_not() {
    use roster_domain::activation::MAX_SOURCE_FAILURES;
    let store = store().await;
    let user = seeded(&store, "sprayed", UserDraft::default()).await;
    give_code(&store, &user, "11223344", Duration::hours(1)).await;
    let attacker = roster_tests::apigw::fresh_address();
    // Earlier failures of this address this hour, in other tenants and logins.
    for n in 1..MAX_SOURCE_FAILURES {
        store
            .count_failure(&fresh_tenant(), &format!("guess{n}"), &attacker, true)
            .await
            .unwrap();
    }
    let (status, _) = activate_from(
        &store,
        json!({"tenant_id": fresh_tenant().as_str(), "login": "nobody", "code": "00000000"}),
        &attacker,
    )
    .await;
    assert_eq!(status, 401, "the last failure it may make");
    let right =
        json!({"tenant_id": user.tenant_id.as_str(), "login": "sprayed", "code": "11223344"});
    let (status, body) = activate_from(&store, right.clone(), &attacker).await;
    assert_eq!((status, failure(&body)), (429, ("too_many_attempts", 0)));
    let (status, body) = activate(&store, right).await;
    assert_eq!(
        status, 200,
        "the user's own device elsewhere is not locked out: {body}"
    );
}

#[tokio::test]
async fn every_login_costs_the_same_reads() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    /// Counts the store's reads.
    struct Reads<'a>(&'a DynamoStore, AtomicUsize);
    impl Reads<'_> {
        fn read(&self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }
    impl FindUser for Reads<'_> {
        async fn find_by_login(&self, t: &TenantId, login: &str) -> StoreResult<Option<User>> {
            // The claim, then the user when there is one.
            let found = self.0.find_by_login(t, login).await?;
            self.read();
            if found.is_some() {
                self.read();
            }
            Ok(found)
        }
        async fn find_by_email(&self, t: &TenantId, email: &str) -> StoreResult<Option<User>> {
            self.0.find_by_email(t, email).await
        }
    }
    impl GetUser for Reads<'_> {
        async fn get_user(&self, t: &TenantId, id: &UserId) -> StoreResult<Option<User>> {
            self.read();
            self.0.get_user(t, id).await
        }
    }
    impl TrustUser for Reads<'_> {
        async fn mark_trusted(&self, before: &User, after: &User) -> StoreResult<()> {
            self.0.mark_trusted(before, after).await
        }
    }
    impl ActivationLimits for Reads<'_> {
        async fn failures(
            &self,
            t: &TenantId,
            l: &str,
            s: &str,
        ) -> StoreResult<ActivationFailures> {
            self.read();
            self.0.failures(t, l, s).await
        }
        async fn count_failure(
            &self,
            t: &TenantId,
            l: &str,
            s: &str,
            count_login: bool,
        ) -> StoreResult<ActivationFailures> {
            self.0.count_failure(t, l, s, count_login).await
        }
    }
    impl ActivationCodeStore for Reads<'_> {
        async fn put_code(&self, code: &ActivationCode) -> StoreResult<()> {
            self.0.put_code(code).await
        }
        async fn get_code(&self, t: &TenantId, u: &UserId) -> StoreResult<Option<ActivationCode>> {
            self.read();
            self.0.get_code(t, u).await
        }
        async fn delete_code(&self, t: &TenantId, u: &UserId) -> StoreResult<()> {
            self.0.delete_code(t, u).await
        }
        async fn record_failed_attempt(&self, t: &TenantId, u: &UserId) -> StoreResult<u8> {
            self.0.record_failed_attempt(t, u).await
        }
        async fn consume_code(&self, t: &TenantId, u: &UserId) -> StoreResult<bool> {
            self.0.consume_code(t, u).await
        }
    }
    let store = store().await;
    let real = seeded(&store, "real.one", UserDraft::default()).await;
    give_code(&store, &real, "55667788", Duration::hours(1)).await;
    let off = seeded(&store, "off.one", UserDraft::default()).await;
    let mut disabled = off.clone().touched(&admin());
    disabled.status = UserStatus::Disabled;
    store.update_user(&off, &disabled).await.unwrap();
    let mut reads = Vec::new();
    for (tenant, login) in [
        (real.tenant_id.as_str(), "real.one"),
        (off.tenant_id.as_str(), "off.one"),
        (real.tenant_id.as_str(), "nobody.at.all"),
    ] {
        let counted = Reads(&store, AtomicUsize::new(0));
        let (status, _) = activate(
            &counted,
            json!({"tenant_id": tenant, "login": login, "code": "00000000"}),
        )
        .await;
        assert_eq!(status, 401);
        reads.push(counted.1.load(Ordering::SeqCst));
    }
    assert_eq!(
        reads,
        vec![reads[0]; 3],
        "real, disabled and unknown logins"
    );
}

/// The public function's trust write is an update of three attributes, so its IAM policy can
/// forbid every other change (docs/security.md): the rest of the user item is byte for byte
/// what it was, and the spent code stays (marked used) instead of being deleted.
#[tokio::test]
async fn activation_writes_only_trust_and_the_code_use() {
    let store = store().await;
    let user = seeded(&store, "narrow", UserDraft::default()).await;
    give_code(&store, &user, "13572468", Duration::hours(1)).await;
    let client = roster_tests::dynamodb().await;
    let read = |key: (String, String)| {
        let client = client.clone();
        async move {
            client
                .get_item()
                .table_name(roster_tests::table_name())
                .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(key.0))
                .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(key.1))
                .send()
                .await
                .unwrap()
                .item
                .unwrap()
        }
    };
    let before = read(roster_aws::keys::user(&user.tenant_id, &user.id)).await;
    let (status, body) = activate(
        &store,
        json!({"tenant_id": user.tenant_id.as_str(), "login": "narrow", "code": "13572468"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let after = read(roster_aws::keys::user(&user.tenant_id, &user.id)).await;
    let changed: std::collections::BTreeSet<&str> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k.as_str())
        .chain(
            before
                .keys()
                .filter(|k| !after.contains_key(*k))
                .map(String::as_str),
        )
        .collect();
    assert_eq!(
        changed,
        ["trusted", "updated", "version"].into_iter().collect()
    );
    let code = read(roster_aws::keys::activation_code(&user.tenant_id, &user.id)).await;
    assert_eq!(
        code["used"],
        aws_sdk_dynamodb::types::AttributeValue::Bool(true)
    );
    // Spent: the same code does not work twice.
    let (status, _) = activate(
        &store,
        json!({"tenant_id": user.tenant_id.as_str(), "login": "narrow", "code": "13572468"}),
    )
    .await;
    assert_eq!(status, 401);
}
