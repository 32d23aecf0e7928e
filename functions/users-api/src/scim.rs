//! `/scim/v2`: SCIM 2.0 for identity providers. Routes, `application/scim+json` in and out,
//! ETags and SCIM error bodies; the operations are `roster_domain::scim::service`. Callers are
//! the SCIM token authorizer's (in AWS) or a dev token's (locally), read like any other claims.

use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use roster_domain::activation::PublishActivation;
use roster_domain::directory::photo::PhotoStore;
use roster_domain::scim::error::ScimError;
use roster_domain::scim::schema;
use roster_domain::scim::service::{self, ListParams, Versioned};
use roster_domain::store::DirectoryStore;
use roster_domain::use_cases::photos;
use roster_http::HttpError;
use serde_json::Value;

use crate::App;

pub const BASE_PATH: &str = "/scim/v2";
pub const MEDIA_TYPE: &str = "application/scim+json";

/// Every SCIM operation this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimRoute {
    ServiceProviderConfig,
    ResourceTypes,
    ResourceType,
    Schemas,
    Schema,
    ListUsers,
    SearchUsers,
    CreateUser,
    GetUser,
    ReplaceUser,
    PatchUser,
    DeleteUser,
    ListGroups,
    SearchGroups,
    CreateGroup,
    GetGroup,
    ReplaceGroup,
    PatchGroup,
    DeleteGroup,
    SearchAll,
}

/// (method, path template, route), as `docs/scim.md` lists them.
pub const SCIM_ROUTES: &[(&str, &str, ScimRoute)] = &[
    (
        "GET",
        "/scim/v2/ServiceProviderConfig",
        ScimRoute::ServiceProviderConfig,
    ),
    ("GET", "/scim/v2/ResourceTypes", ScimRoute::ResourceTypes),
    (
        "GET",
        "/scim/v2/ResourceTypes/{id}",
        ScimRoute::ResourceType,
    ),
    ("GET", "/scim/v2/Schemas", ScimRoute::Schemas),
    ("GET", "/scim/v2/Schemas/{id}", ScimRoute::Schema),
    ("GET", "/scim/v2/Users", ScimRoute::ListUsers),
    ("POST", "/scim/v2/Users", ScimRoute::CreateUser),
    ("POST", "/scim/v2/Users/.search", ScimRoute::SearchUsers),
    ("GET", "/scim/v2/Users/{id}", ScimRoute::GetUser),
    ("PUT", "/scim/v2/Users/{id}", ScimRoute::ReplaceUser),
    ("PATCH", "/scim/v2/Users/{id}", ScimRoute::PatchUser),
    ("DELETE", "/scim/v2/Users/{id}", ScimRoute::DeleteUser),
    ("GET", "/scim/v2/Groups", ScimRoute::ListGroups),
    ("POST", "/scim/v2/Groups", ScimRoute::CreateGroup),
    ("POST", "/scim/v2/Groups/.search", ScimRoute::SearchGroups),
    ("GET", "/scim/v2/Groups/{id}", ScimRoute::GetGroup),
    ("PUT", "/scim/v2/Groups/{id}", ScimRoute::ReplaceGroup),
    ("PATCH", "/scim/v2/Groups/{id}", ScimRoute::PatchGroup),
    ("DELETE", "/scim/v2/Groups/{id}", ScimRoute::DeleteGroup),
    ("POST", "/scim/v2/.search", ScimRoute::SearchAll),
];

pub fn is_scim(path: &str) -> bool {
    path == BASE_PATH || path.starts_with("/scim/v2/")
}

/// Handles one SCIM request; every failure is a SCIM error body.
pub async fn handle<S, P, X, F, C>(app: &App<S, P, X, F, C>, request: &Request) -> Response<Body>
where
    S: DirectoryStore,
    P: PublishActivation + Sync,
    F: PhotoStore + Sync,
{
    match dispatch(app, request).await {
        Ok(response) => response,
        Err(error) => scim_error(&error),
    }
}

fn scim_error(error: &ScimError) -> Response<Body> {
    if error.status >= 500 {
        tracing::error!(status = error.status, "SCIM request failed");
    }
    scim_json(
        StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &error.body(),
        &[],
    )
}

fn scim_json(status: StatusCode, body: &Value, headers: &[(&str, String)]) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", MEDIA_TYPE);
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(Body::Text(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

fn from_http(error: HttpError) -> ScimError {
    match error {
        HttpError::App(e) => e.into(),
        HttpError::Unauthorized(why) => ScimError::unauthorized(why),
        e @ HttpError::MethodNotAllowed { .. } => ScimError::new(405, None, e.to_string()),
        HttpError::PayloadTooLarge(n) => ScimError::new(
            413,
            None,
            format!("the request body is larger than {n} bytes"),
        ),
    }
}

/// `https://{host}/scim/v2`, as the client reached it (the gateway says the scheme).
fn base_url(headers: &HeaderMap) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or(v).trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let scheme = header("x-forwarded-proto").unwrap_or_else(|| "https".into());
    let host = header("host").unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}{BASE_PATH}")
}

fn body(request: &Request) -> Result<Value, ScimError> {
    let bytes: &[u8] = match request.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > roster_http::MAX_BODY_BYTES {
        return Err(ScimError::new(
            413,
            None,
            format!(
                "the request body is larger than {} bytes",
                roster_http::MAX_BODY_BYTES
            ),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ScimError::invalid_syntax(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

fn list_of(raw: Option<&str>) -> Vec<String> {
    raw.map(|r| {
        r.split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

fn number(raw: Option<&str>, name: &str) -> Result<Option<i64>, ScimError> {
    raw.map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.parse()
                .map_err(|_| ScimError::invalid_value(format!("{name}: must be a whole number")))
        })
        .transpose()
}

fn query_params(request: &Request) -> Result<ListParams, ScimError> {
    let q = request.query_string_parameters();
    Ok(ListParams {
        filter: q.first("filter").map(str::to_owned),
        start_index: number(q.first("startIndex"), "startIndex")?,
        count: number(q.first("count"), "count")?,
        attributes: list_of(q.first("attributes")),
        excluded_attributes: list_of(q.first("excludedAttributes")),
        scan_limit: None,
    })
}

/// A `SearchRequest` body (`POST …/.search`).
fn search_params(body: &Value) -> Result<ListParams, ScimError> {
    let o = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the body must be a SearchRequest object"))?;
    let text = |name: &str| o.get(name).and_then(Value::as_str);
    let list = |name: &str| -> Vec<String> {
        match o.get(name) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) => list_of(Some(s)),
            _ => vec![],
        }
    };
    Ok(ListParams {
        filter: text("filter").map(str::to_owned),
        start_index: o.get("startIndex").and_then(Value::as_i64),
        count: o.get("count").and_then(Value::as_i64),
        attributes: list("attributes"),
        excluded_attributes: list("excludedAttributes"),
        scan_limit: None,
    })
}

fn if_match(request: &Request) -> Option<String> {
    request
        .headers()
        .get("if-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn resource(status: StatusCode, found: Versioned, params: Option<&ListParams>) -> Response<Body> {
    let location = found
        .resource
        .get("meta")
        .and_then(|m| m.get("location"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut headers = vec![("etag", found.version)];
    if status == StatusCode::CREATED
        && let Some(l) = location
    {
        headers.push(("location", l));
    }
    let body = match params {
        Some(p) => service::select(found.resource, p),
        None => found.resource,
    };
    scim_json(status, &Value::Object(body), &headers)
}

fn one_of(documents: Vec<Value>, id: Option<&str>, what: &str) -> Result<Value, ScimError> {
    documents
        .into_iter()
        .find(|d| d.get("id").and_then(Value::as_str) == id)
        .ok_or_else(|| ScimError::not_found(format!("no {what} '{}'", id.unwrap_or_default())))
}

fn listed(documents: Vec<Value>) -> Value {
    schema::list_response(documents.len(), 1, documents)
}

async fn dispatch<S, P, X, F, C>(
    app: &App<S, P, X, F, C>,
    request: &Request,
) -> Result<Response<Body>, ScimError>
where
    S: DirectoryStore,
    P: PublishActivation + Sync,
    F: PhotoStore + Sync,
{
    let path = request.uri().path();
    let (route, ids) =
        roster_http::resolve(SCIM_ROUTES, request.method(), path).map_err(|e| match e {
            HttpError::App(roster_domain::error::AppError::NotFound(_)) => {
                ScimError::not_found(format!("{path} is not a SCIM endpoint"))
            }
            other => from_http(other),
        })?;
    let caller = roster_http::caller(request).map_err(from_http)?;
    let base = base_url(request.headers());
    let id = ids.first().unwrap_or_default();
    let store = &app.store;
    let ok = StatusCode::OK;
    let if_match = if_match(request);
    let if_match = if_match.as_deref();
    match route {
        ScimRoute::ServiceProviderConfig => {
            Ok(scim_json(ok, &schema::service_provider_config(&base), &[]))
        }
        ScimRoute::ResourceTypes => Ok(scim_json(ok, &listed(schema::resource_types(&base)), &[])),
        ScimRoute::ResourceType => Ok(scim_json(
            ok,
            &one_of(schema::resource_types(&base), Some(id), "resource type")?,
            &[],
        )),
        ScimRoute::Schemas => Ok(scim_json(ok, &listed(schema::schemas(&base)), &[])),
        ScimRoute::Schema => Ok(scim_json(
            ok,
            &one_of(schema::schemas(&base), Some(id), "schema")?,
            &[],
        )),
        ScimRoute::ListUsers => {
            let params = query_params(request)?;
            Ok(scim_json(
                ok,
                &service::list_users(store, &caller, &params, &base).await?,
                &[],
            ))
        }
        ScimRoute::SearchUsers => {
            let params = search_params(&body(request)?)?;
            Ok(scim_json(
                ok,
                &service::list_users(store, &caller, &params, &base).await?,
                &[],
            ))
        }
        ScimRoute::CreateUser => {
            let body = body(request)?;
            let created =
                service::create_user(store, &app.publisher, &caller, &body, &base).await?;
            Ok(resource(StatusCode::CREATED, created, None))
        }
        ScimRoute::GetUser => {
            let params = query_params(request)?;
            let found = service::get_user(store, &caller, id, &base).await?;
            Ok(resource(ok, found, Some(&params)))
        }
        ScimRoute::ReplaceUser => {
            let body = body(request)?;
            let found = service::replace_user(store, &caller, id, if_match, &body, &base).await?;
            Ok(resource(ok, found, None))
        }
        ScimRoute::PatchUser => {
            let body = body(request)?;
            let found = service::patch_user(store, &caller, id, if_match, &body, &base).await?;
            Ok(resource(ok, found, None))
        }
        ScimRoute::DeleteUser => {
            let deleted = service::delete_user(store, &caller, id, if_match).await?;
            if let Err(e) = photos::forget(&app.photos, &deleted).await {
                tracing::error!(user_id = %deleted.id, error = %e, "photo objects of a deleted user were not removed");
            }
            Ok(no_content())
        }
        ScimRoute::ListGroups => {
            let params = query_params(request)?;
            Ok(scim_json(
                ok,
                &service::list_groups(store, &caller, &params, &base).await?,
                &[],
            ))
        }
        ScimRoute::SearchGroups => {
            let params = search_params(&body(request)?)?;
            Ok(scim_json(
                ok,
                &service::list_groups(store, &caller, &params, &base).await?,
                &[],
            ))
        }
        ScimRoute::CreateGroup => {
            let body = body(request)?;
            let created = service::create_group(store, &caller, &body, &base).await?;
            Ok(resource(StatusCode::CREATED, created, None))
        }
        ScimRoute::GetGroup => {
            let params = query_params(request)?;
            let found = service::get_group(store, &caller, id, &params, &base).await?;
            Ok(resource(ok, found, Some(&params)))
        }
        ScimRoute::ReplaceGroup => {
            let body = body(request)?;
            let found = service::replace_group(store, &caller, id, if_match, &body, &base).await?;
            Ok(resource(ok, found, None))
        }
        ScimRoute::PatchGroup => {
            // 204: a group's members can be many; clients read the group when they need it.
            let body = body(request)?;
            let found = service::patch_group(store, &caller, id, if_match, &body, &base).await?;
            let mut response = no_content();
            if let Ok(etag) = found.version.parse() {
                response.headers_mut().insert("etag", etag);
            }
            Ok(response)
        }
        ScimRoute::DeleteGroup => {
            service::delete_group(store, &caller, id, if_match).await?;
            Ok(no_content())
        }
        ScimRoute::SearchAll => Err(ScimError::new(
            501,
            None,
            "searching several resource types at once is not supported: use /Users/.search or /Groups/.search",
        )),
    }
}

fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .unwrap_or_else(|_| Response::new(Body::Empty))
}
