//! How long the sender takes per 1,000 activation requests against the emulator, each
//! delivered twice (SNS is at-least-once), and proof that no user gets two texts.
//!
//! Run: scripts/with-emulator cargo run --release -p activation-sender --example volume

use std::collections::HashMap;
use std::time::Instant;

use activation_sender::{App, handle};
use aws_lambda_events::event::sns::SnsEvent;
use roster_aws::SnsActivationPublisher;
use roster_domain::activation::{ActivationReason, ActivationRequest, Channel, PublishActivation};
use roster_domain::ids::DepartmentId;
use roster_domain::store::CreateUser;
use roster_domain::validation::UserDraft;
use roster_tests::emulator::unique_us_mobile;
use roster_tests::{admin, create_department, fresh_tenant, user_from};

const USERS: usize = 1_000;

#[tokio::main]
async fn main() {
    let config = roster_aws::load_aws_config().await;
    let app = App::from_environment(&config).unwrap();
    let tenant = fresh_tenant();
    let dept = DepartmentId::parse("fleet").unwrap();
    create_department(&app.store, &tenant, &dept).await;
    let mut requests = Vec::new();
    let mut phones = HashMap::new();
    for i in 0..USERS {
        let phone = unique_us_mobile();
        let user = user_from(
            &tenant,
            &dept,
            UserDraft {
                login: Some(format!("driver{i}")),
                first_name: Some("Driver".into()),
                last_name: Some(format!("N{i}")),
                mobile_phone: Some(phone.clone()),
                send_text: Some(true),
                ..UserDraft::default()
            },
        );
        app.store.create_user(&user).await.unwrap();
        phones.insert(phone, user.id);
        requests.push(ActivationRequest::new(
            tenant.clone(),
            user.id,
            vec![Channel::Sms],
            ActivationReason::Welcome,
            &admin(),
        ));
    }

    let publisher = SnsActivationPublisher::new(
        aws_sdk_sns::Client::new(&config),
        std::env::var("ROSTER_TOPIC_ARN").unwrap(),
    );
    let start = Instant::now();
    publisher.publish(&requests).await.unwrap();
    let publish = start.elapsed();

    let template = format!(
        "{}/../../events/activation-sender/welcome-sms-email.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let template: SnsEvent =
        serde_json::from_str(&std::fs::read_to_string(template).unwrap()).unwrap();
    let start = Instant::now();
    for request in &requests {
        let mut event = template.clone();
        event.records[0].sns.message = serde_json::to_string(request).unwrap();
        handle(&app, event.clone()).await.unwrap();
        handle(&app, event).await.unwrap();
    }
    let send = start.elapsed();

    let data = std::process::Command::new("curl")
        .args([
            "-s",
            &format!(
                "{}/moto-api/data.json",
                std::env::var("AWS_ENDPOINT_URL").unwrap()
            ),
        ])
        .output()
        .unwrap();
    let data: serde_json::Value = serde_json::from_slice(&data.stdout).unwrap();
    let mut texts: HashMap<String, usize> = HashMap::new();
    for sms in data["sns"]["SMS"].as_array().unwrap() {
        let phone = sms["phone_number"].as_str().unwrap();
        if phones.contains_key(phone) {
            *texts.entry(phone.to_owned()).or_default() += 1;
        }
    }
    let twice = texts.values().filter(|n| **n > 1).count();
    println!("users: {USERS}, deliveries: {}", 2 * USERS);
    println!(
        "publish {USERS} requests (PublishBatch, 10 per call): {:.2} s",
        publish.as_secs_f64()
    );
    println!(
        "sender, {USERS} requests delivered twice: {:.2} s ({:.1} ms per request)",
        send.as_secs_f64(),
        send.as_secs_f64() * 1e3 / USERS as f64
    );
    println!(
        "texts sent: {}, users texted twice: {twice}, users not texted: {}",
        texts.values().sum::<usize>(),
        USERS - texts.len()
    );
    assert_eq!(twice, 0);
    assert_eq!(texts.len(), USERS);
}
