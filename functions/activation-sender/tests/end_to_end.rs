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
