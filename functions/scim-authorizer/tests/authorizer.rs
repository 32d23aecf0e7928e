//! The authorizer against the emulator, with API Gateway's event from `events/`: a live token
//! is admitted as an admin of its tenant; a revoked, forged, foreign or missing one is not.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use roster_domain::caller::Caller;
use roster_domain::ids::Actor;
use roster_domain::scim::token::{ScimTokenStore, create_token};
use roster_tests::fresh_tenant;
use scim_authorizer::handle;
use std::collections::BTreeSet;

const EVENT: &str = include_str!("../../../events/scim-authorizer/request.json");

fn request(authorization: Option<&str>) -> ApiGatewayV2CustomAuthorizerV2Request {
    let mut event: serde_json::Value = serde_json::from_str(EVENT).unwrap();
    match authorization {
        Some(a) => {
            event["headers"]["authorization"] = a.into();
            event["identitySource"] = serde_json::json!([a]);
        }
        None => {
            event["headers"]
                .as_object_mut()
                .unwrap()
                .remove("authorization");
            event.as_object_mut().unwrap().remove("identitySource");
        }
    }
    serde_json::from_value(event).unwrap()
}

#[tokio::test]
async fn live_tokens_only_admitted_as_an_admin_of_their_tenant() {
    let config = roster_aws::load_aws_config().await;
    let store =
        roster_aws::DynamoStore::from_environment(&config).expect("run through scripts/test");
    let tenant = fresh_tenant();
    let admin = Caller {
        actor: Actor::new("admin-1"),
        name: "Ann".into(),
        tenant: tenant.clone(),
        roles: BTreeSet::from([roster_domain::caller::CallerRole::Admin]),
        departments: BTreeSet::new(),
    };
    let (token, text) = create_token(&store, &admin, "Entra ID").await.unwrap();

    let admitted = handle(&store, &request(Some(&format!("Bearer {text}")))).await;
    assert!(admitted.is_authorized);
    assert_eq!(admitted.context["custom:tenant_id"], tenant.as_str());
    assert_eq!(admitted.context["cognito:groups"], "admin");
    assert_eq!(admitted.context["sub"], format!("scim-token:{}", token.id));
    assert!(
        !admitted
            .context
            .to_string()
            .contains(&text[text.len() - 64..])
    );

    let mut forged = text.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'a' { 'b' } else { 'a' });
    let other_tenant = text.replacen(tenant.as_str(), fresh_tenant().as_str(), 1);
    for refused in [
        Some(format!("Bearer {forged}")),
        Some(format!("Bearer {other_tenant}")),
        Some(format!("Basic {text}")),
        Some("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x".to_owned()),
        None,
    ] {
        let r = handle(&store, &request(refused.as_deref())).await;
        assert!(!r.is_authorized, "{refused:?}");
        assert!(r.context.is_null(), "a refusal carries no claims");
    }

    store.delete_token(&tenant, &token.id).await.unwrap();
    let revoked = handle(&store, &request(Some(&format!("Bearer {text}")))).await;
    assert!(!revoked.is_authorized, "a revoked token stops at once");
}
