//! The Lambda authorizer in front of `/scim/v2` (API Gateway payload 2.0, simple responses).
//! It admits a request whose `Authorization: Bearer` is a live SCIM token of some tenant and
//! hands the function the claims an admin of that tenant would carry (`sub` names the
//! token), so the function reads its caller the same way for every route. Anything else is
//! refused without saying why; the reason goes to the log with the token's id only, never
//! the secret.

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use roster_domain::caller::Caller;
use roster_domain::scim::token::{ScimTokenStore, authenticate};
use serde_json::{Value, json};

/// The bearer token of the request, if it has one.
fn bearer(request: &ApiGatewayV2CustomAuthorizerV2Request) -> Option<String> {
    let header = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.identity_source.as_ref()?.first().cloned())?;
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The claims the function reads its caller from.
fn claims(caller: &Caller) -> Value {
    json!({
        "sub": caller.actor.to_string(),
        "custom:tenant_id": caller.tenant.as_str(),
        "cognito:groups": "admin",
        "name": caller.name,
    })
}

pub async fn handle<S: ScimTokenStore>(
    store: &S,
    request: &ApiGatewayV2CustomAuthorizerV2Request,
) -> ApiGatewayV2CustomAuthorizerSimpleResponse {
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    let Some(token) = bearer(request) else {
        tracing::info!(reason = "no bearer token", "SCIM request refused");
        return response;
    };
    match authenticate(store, &token).await {
        Ok(caller) => {
            tracing::info!(tenant = %caller.tenant, actor = %caller.actor, "SCIM request admitted");
            response.is_authorized = true;
            response.context = claims(&caller);
        }
        Err(refused) => tracing::info!(reason = %refused, "SCIM request refused"),
    }
    response
}
