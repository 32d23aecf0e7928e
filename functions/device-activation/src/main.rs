//! Public device activation: a device activates with login and code or IMEI.
//!
//! Thin entry point: decode the request, call the domain, encode the response. Its routes
//! arrive with their issue; until then every request is answered 501 in the API's error shape.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

async fn handler(request: Request) -> Result<Response<Body>, Error> {
    tracing::warn!(method = %request.method(), path = request.uri().path(), "route not implemented");
    let body = serde_json::json!({
        "error": {
            "code": "not_implemented",
            "message": format!("{} {} is not available yet", request.method(), request.uri().path()),
            "fields": [],
        }
    });
    Ok(Response::builder()
        .status(501)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    roster_aws::telemetry::init();
    run(service_fn(handler)).await
}
