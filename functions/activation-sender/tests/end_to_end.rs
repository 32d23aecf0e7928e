//! The whole activation path on the emulator: an admin creates a user with `send_text`, the
//! users API publishes on the real topic, the sender gets the SNS event and texts a code, the
//! device activates with it, and the admin sees the user trusted.

use activation_sender::App as Sender;
use aws_lambda_events::event::sns::SnsEvent;
use lambda_http::Body;
use roster_domain::ids::DepartmentId;
use roster_tests::apigw::{Call, claims};
use roster_tests::emulator::{code_in, sms_to, unique_us_mobile};
use roster_tests::messaging::TopicTap;
use roster_tests::{create_department, fresh_tenant};
use serde_json::{Value, json};

fn body(response: lambda_http::Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    match response.into_body() {
        Body::Text(t) => (status, serde_json::from_str(&t).unwrap()),
        _ => (status, Value::Null),
    }
}

/// Wraps a message SNS delivered into the event Lambda receives for it.
fn sns_event(message: &Value) -> SnsEvent {
    let path = format!(
        "{}/../../events/activation-sender/welcome-sms-email.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut event: SnsEvent =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event.records[0].sns.message = message.to_string();
    event
}

#[tokio::test]
async fn a_user_created_with_send_text_activates_with_the_texted_code() {
    let config = roster_aws::load_aws_config().await;
    let tap = TopicTap::subscribe().await;
    let users = users_api::App::from_environment(&config).unwrap();

    let sender = Sender::from_environment(&config).unwrap();

    let tenant = fresh_tenant();
    create_department(
        &users.store,
        &tenant,
        &DepartmentId::parse("field").unwrap(),
    )
    .await;
    let admin = claims("admin-1", tenant.as_str(), &["admin"], &[]);
    let phone = unique_us_mobile();

    let (status, created) = body(
        users_api::handle(
            &users,
            Call::new("POST", "/v1/users")
                .as_caller(admin.clone())
                .json(json!({
                    "login": "Field.Agent", "first_name": "Field", "last_name": "Agent",
                    "mobile_phone": phone, "department_id": "field", "send_text": true,
                }))
                .request(),
        )
        .await,
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["trusted"], false);

    let published: Vec<Value> = tap
        .drain()
        .await
        .into_iter()
        .filter(|m| m["user_id"] == id)
        .collect();
    assert_eq!(published.len(), 1);
    let event = sns_event(&published[0]);
    activation_sender::handle(&sender, event.clone())
        .await
        .unwrap();
    activation_sender::handle(&sender, event).await.unwrap();

    let texts = sms_to(&phone);
    assert_eq!(texts.len(), 1, "one text despite two deliveries");
    let code = code_in(&texts[0]).unwrap();

    let (status, activated) = body(
        device_activation::handle(
            &sender.store,
            Call::new("POST", "/v1/activate")
                .json(json!({
                    "tenant_id": tenant, "login": "field.agent", "code": code,
                }))
                .request(),
        )
        .await,
    );
    assert_eq!(status, 200, "{activated}");

    let (_, user) = body(
        users_api::handle(
            &users,
            Call::new("GET", &format!("/v1/users/{id}"))
                .as_caller(admin)
                .request(),
        )
        .await,
    );
    assert_eq!(user["trusted"], true);
    assert_eq!(user["activation"]["deliveries"][0]["channel"], "sms");
    assert_eq!(user["activation"]["deliveries"][0]["outcome"], "sent");
}

mod publishing {
    use super::*;
    use roster_aws::SnsActivationPublisher;
    use roster_domain::activation::{
        ActivationReason, ActivationRequest, Channel, PublishActivation,
    };
    use roster_domain::ids::{Actor, UserId};

    fn topic() -> String {
        std::env::var("ROSTER_TOPIC_ARN").expect("ROSTER_TOPIC_ARN: run through scripts/test")
    }

    #[tokio::test]
    async fn a_refused_request_does_not_drop_the_rest_and_is_named() {
        let config = roster_aws::load_aws_config().await;
        let tap = TopicTap::subscribe().await;
        let publisher = SnsActivationPublisher::new(aws_sdk_sns::Client::new(&config), topic());
        let tenant = fresh_tenant();
        let mut requests: Vec<ActivationRequest> = (0..25)
            .map(|_| {
                ActivationRequest::new(
                    tenant.clone(),
                    UserId::generate(),
                    vec![Channel::Sms],
                    ActivationReason::Welcome,
                    &Actor::new("admin-1"),
                )
            })
            .collect();
        // Over SNS's 256 KB message limit: SNS refuses this entry alone.
        requests[3].requested_by = Actor::new("x".repeat(300_000));
        let error = publisher.publish(&requests).await.unwrap_err();
        assert_eq!(
            error.refused,
            vec![requests[3].request_id.clone()],
            "{error}"
        );
        let published: Vec<Value> = tap
            .drain()
            .await
            .into_iter()
            .filter(|m| m["tenant_id"] == tenant.as_str())
            .collect();
        assert_eq!(published.len(), 24, "every other request, in every batch");
    }

    #[tokio::test]
    async fn a_welcome_that_cannot_be_requested_shows_on_the_created_user() {
        let config = roster_aws::load_aws_config().await;
        let mut users = users_api::App::from_environment(&config).unwrap();
        let missing = topic().rsplit_once(':').unwrap().0.to_owned() + ":no-such-topic";
        users.publisher = SnsActivationPublisher::new(aws_sdk_sns::Client::new(&config), missing);
        let tenant = fresh_tenant();
        create_department(
            &users.store,
            &tenant,
            &DepartmentId::parse("field").unwrap(),
        )
        .await;
        let admin = claims("admin-1", tenant.as_str(), &["admin"], &[]);
        let (status, created) = body(
            users_api::handle(
                &users,
                Call::new("POST", "/v1/users")
                    .as_caller(admin.clone())
                    .json(json!({
                        "login": "lost.text", "first_name": "Lost", "last_name": "Text",
                        "mobile_phone": unique_us_mobile(), "department_id": "field", "send_text": true,
                    }))
                    .request(),
            )
            .await,
        );
        assert_eq!(status, 201, "the user exists either way: {created}");
        let sms = &created["activation"]["deliveries"][0];
        assert_eq!(sms["outcome"], "failed", "{created}");
        assert!(
            sms["reason"].as_str().unwrap().contains("resend"),
            "{created}"
        );
        let id = created["id"].as_str().unwrap();
        let (_, stored) = body(
            users_api::handle(
                &users,
                Call::new("GET", &format!("/v1/users/{id}"))
                    .as_caller(admin)
                    .request(),
            )
            .await,
        );
        assert_eq!(stored["activation"]["deliveries"][0]["outcome"], "failed");
    }
}
