//! The admin API for users, departments and tenant settings.
//!
//! Thin by design: resolve the route, read the caller from the verified claims, decode the
//! request, call a use case of `roster_domain`, encode the result. Generic over the ports so
//! tests drive it with the real adapters against the emulator.

mod directory;
pub mod routes;
pub mod scim;

use std::collections::BTreeSet;

use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use roster_domain::activation::{Channel, PublishActivation};
use roster_domain::caller::{Caller, Permission};
use roster_domain::directory::photo::PhotoStore;
use roster_domain::ids::{DepartmentId, UserId};
use roster_domain::ids::{PickEntryId, ScimTokenId};
use roster_domain::password::Password;
use roster_domain::scim::token::{self as scim_token, ScimToken, ScimTokenStore};
use roster_domain::store::{DirectoryStore, ListUsers};
use roster_domain::tenant::TenantSettings;
use roster_domain::use_cases::export_job::{
    ContinueExport, ExportConfig, ExportFiles, ExportJob, ExportJobStore, ExportStep, Exporter,
};
use roster_domain::use_cases::organisation::{self, DepartmentRename, NewDepartment};
use roster_domain::use_cases::users::{self, PasswordChange, Precondition};
use roster_domain::use_cases::{photos, pick_lists};
use roster_domain::user::User;
use roster_domain::views::UserView;
use roster_http::{
    HttpError, caller, empty, error_response, json, json_body, json_object, json_with_headers,
    user_query,
};
use serde::Deserialize;
use serde_json::json as json_value;

use crate::routes::{Route, resolve};

/// The OpenAPI 3.1 description of this API, served at `GET /v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// How long `GET /v1/users/export` writes before it hands the rest to the worker (API
/// Gateway answers within 29 s).
pub const DEFAULT_EXPORT_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Everything a request may use, built once per cold start.
pub struct App<S, P, X, F, C> {
    pub store: S,
    pub publisher: P,
    /// Where exports are written (the import bucket).
    pub exports: X,
    pub photos: F,
    /// The worker's queue: exports that outgrow a request continue there.
    pub continuation: C,
    /// Exports up to `inline_bytes` are answered inline (API Gateway and Lambda cap a
    /// response at 6 MB), larger ones with a link.
    pub export: ExportConfig,
    pub export_budget: std::time::Duration,
}

/// The app over the real adapters.
pub type AwsApp = App<
    roster_aws::DynamoStore,
    roster_aws::SnsActivationPublisher,
    roster_aws::S3ImportFiles,
    roster_aws::S3PhotoStore,
    roster_aws::SqsContinuation,
>;

impl AwsApp {
    /// The real adapters, named by the function's environment (`ROSTER_TABLE`,
    /// `ROSTER_TOPIC_ARN`, `ROSTER_IMPORT_BUCKET`, `ROSTER_IMPORT_QUEUE_URL`, optional
    /// `ROSTER_EXPORT_INLINE_BYTES`).
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        let mut export = ExportConfig::default();
        if let Some(bytes) = std::env::var("ROSTER_EXPORT_INLINE_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            export.inline_bytes = bytes;
        }
        let exports = roster_aws::S3ImportFiles::from_environment(config)?;
        Ok(Self {
            store: roster_aws::DynamoStore::from_environment(config)?,
            publisher: roster_aws::SnsActivationPublisher::from_environment(config)?,
            photos: roster_aws::S3PhotoStore::beside(&exports),
            exports,
            continuation: roster_aws::SqsContinuation::from_environment(config)?,
            export,
            export_budget: DEFAULT_EXPORT_BUDGET,
        })
    }
}

/// Handles one request; every failure becomes the JSON error shape.
pub async fn handle<S, P, X, F, C>(app: &App<S, P, X, F, C>, request: Request) -> Response<Body>
where
    S: DirectoryStore + ScimTokenStore,
    P: PublishActivation + Sync,
    X: ExportFiles,
    C: ContinueExport,
    F: PhotoStore + Sync,
{
    if scim::is_scim(request.uri().path()) {
        // Boxed: the SCIM operations' futures are large, and inlined here they would make
        // every request's future that large (a debug build's thread stack overflows).
        return Box::pin(scim::handle(app, &request)).await;
    }
    match dispatch(app, &request).await {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

async fn dispatch<S, P, X, F, C>(
    app: &App<S, P, X, F, C>,
    request: &Request,
) -> Result<Response<Body>, HttpError>
where
    S: DirectoryStore + ScimTokenStore,
    P: PublishActivation + Sync,
    X: ExportFiles,
    C: ContinueExport,
    F: PhotoStore + Sync,
{
    let (route, ids) = resolve(request.method(), request.uri().path())?;
    let id = ids.first();
    if route == Route::OpenApi {
        return Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Body::Text(OPENAPI.to_owned()))
            .map_err(HttpError::internal);
    }
    let caller = caller(request)?;
    if let Some(needed) = permission(route) {
        caller.require(needed)?;
    }
    let store = &app.store;
    let user_id = || parse_user_id(id);
    let department_id = || parse_department_id(id);
    match route {
        Route::CreateUser => {
            let draft = users::draft_from_json(json_object(request)?)?;
            let created = users::create_user(store, &app.publisher, &caller, draft).await?;
            if let Some(Err(e)) = &created.activation {
                tracing::error!(user_id = %created.user.id, error = %e, "welcome activation not published");
            }
            user_response(app, StatusCode::CREATED, &created.user).await
        }
        Route::GetUser => {
            let user = users::get_user(store, &caller, &user_id()?).await?;
            let user = photos::settle(store, &app.photos, user).await?;
            user_response(app, StatusCode::OK, &user).await
        }
        Route::UpdateUser => {
            let expected = if_match(request.headers())?;
            let patch = json_object(request)?;
            let user = users::update_user(store, &caller, &user_id()?, expected, patch).await?;
            user_response(app, StatusCode::OK, &user).await
        }
        Route::DeleteUser => {
            let deleted = users::delete_user(store, &caller, &user_id()?).await?;
            photos::forget(&app.photos, &deleted).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::DisableUser => {
            let body: DisableBody = json_body(request)?;
            let user =
                users::disable_user(store, &caller, &user_id()?, body.reason.as_deref()).await?;
            user_response(app, StatusCode::OK, &user).await
        }
        Route::EnableUser => {
            let user = users::enable_user(store, &caller, &user_id()?).await?;
            user_response(app, StatusCode::OK, &user).await
        }
        Route::SetPassword => {
            let change = json_body::<PasswordBody>(request)?.into_change()?;
            match users::set_password(store, &caller, &user_id()?, change).await? {
                // Shown once, to the admin who asked; never stored or logged in clear.
                Some(generated) => Ok(json(
                    StatusCode::OK,
                    &json_value!({ "password": generated.expose() }),
                )),
                None => Ok(empty(StatusCode::NO_CONTENT)),
            }
        }
        Route::ResetPassword => {
            users::force_password_reset(store, &caller, &user_id()?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::SendActivation => {
            let body: ActivationBody = json_body(request)?;
            let sent =
                users::send_activation(store, &app.publisher, &caller, &user_id()?, body.channels)
                    .await?;
            Ok(json(
                StatusCode::ACCEPTED,
                &json_value!({ "request_id": sent.request_id, "channels": sent.channels, "reason": sent.reason }),
            ))
        }
        Route::ListUsers => {
            let page = users::list_users(store, &caller, user_query(request)?).await?;
            let mut items = Vec::with_capacity(page.items.len());
            for user in &page.items {
                items.push(user_view(app, user).await?);
            }
            Ok(json(
                StatusCode::OK,
                &json_value!({ "items": items, "next_cursor": page.next_cursor }),
            ))
        }
        Route::ExportUsers => export(app, &caller, request).await,
        Route::ExportStatus => export_status(app, &caller, id).await,
        Route::ListDepartments => {
            let items = organisation::list_departments(store, &caller).await?;
            Ok(json(StatusCode::OK, &json_value!({ "items": items })))
        }
        Route::CreateDepartment => {
            let body: NewDepartment = json_body(request)?;
            Ok(json(
                StatusCode::CREATED,
                &organisation::create_department(store, &caller, body).await?,
            ))
        }
        Route::RenameDepartment => {
            let body: DepartmentRename = json_body(request)?;
            let department =
                organisation::rename_department(store, &caller, &department_id()?, body).await?;
            Ok(json(StatusCode::OK, &department))
        }
        Route::DeleteDepartment => {
            organisation::delete_department(store, &caller, &department_id()?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::ListPickList(kind) => {
            let items = pick_lists::list_entries(store, &caller, kind).await?;
            Ok(json(StatusCode::OK, &json_value!({ "items": items })))
        }
        Route::CreatePickEntry(kind) => {
            let body: NewDepartment = json_body(request)?;
            Ok(json(
                StatusCode::CREATED,
                &pick_lists::create_entry(store, &caller, kind, body).await?,
            ))
        }
        Route::DeletePickEntry(kind) => {
            let entry = PickEntryId::parse(id.unwrap_or_default())
                .map_err(|e| HttpError::bad_field("id", e.0))?;
            pick_lists::delete_entry(store, &caller, kind, &entry).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::GetTenant => Ok(json(
            StatusCode::OK,
            &organisation::get_settings(store, &caller).await?,
        )),
        Route::PutTenant => {
            // A PUT replaces every setting: an empty body is refused, not read as "defaults".
            json_object(request)?;
            let settings: TenantSettings = json_body(request)?;
            Ok(json(
                StatusCode::OK,
                &organisation::put_settings(store, &caller, settings).await?,
            ))
        }
        Route::CreateScimToken => {
            let body: NewScimToken = json_body(request)?;
            let (token, text) = scim_token::create_token(store, &caller, &body.name).await?;
            // The text is shown here once; only its hash is stored.
            let mut view = token_view(&token);
            view["token"] = json_value!(text);
            Ok(json(StatusCode::CREATED, &view))
        }
        Route::ListScimTokens => {
            let tokens = scim_token::list_tokens(store, &caller).await?;
            let items: Vec<_> = tokens.iter().map(token_view).collect();
            Ok(json(StatusCode::OK, &json_value!({ "items": items })))
        }
        Route::RevokeScimToken => {
            let token = ScimTokenId::parse(id.unwrap_or_default())
                .map_err(|e| HttpError::bad_field("id", e.0))?;
            scim_token::revoke_token(store, &caller, &token).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::OpenApi => unreachable!("served before authorization"),
        _ => directory::dispatch(app, &caller, route, &ids, request).await,
    }
}

/// The permission a route needs, checked before its body is read so that a caller without
/// the role learns nothing from validation messages. (The use cases check again.)
fn permission(route: Route) -> Option<Permission> {
    match route {
        Route::CreateUser
        | Route::UpdateUser
        | Route::DeleteUser
        | Route::DisableUser
        | Route::EnableUser
        | Route::SetPassword
        | Route::ResetPassword
        | Route::SendActivation
        | Route::AddMember
        | Route::RemoveMember
        | Route::AddDevice
        | Route::UpdateDevice
        | Route::DeleteDevice
        | Route::PutVoicemail
        | Route::PutAnsweringRules
        | Route::UploadPhoto => Some(Permission::ChangeUsers),
        Route::CreateGroup
        | Route::UpdateGroup
        | Route::DeleteGroup
        | Route::CreateSharedContact
        | Route::UpdateSharedContact
        | Route::DeleteSharedContact
        | Route::CreateDepartment
        | Route::RenameDepartment
        | Route::DeleteDepartment
        | Route::CreatePickEntry(_)
        | Route::DeletePickEntry(_)
        | Route::GetTenant
        | Route::PutTenant
        | Route::CreateScimToken
        | Route::ListScimTokens
        | Route::RevokeScimToken => Some(Permission::ManageOrganisation),
        _ => None,
    }
}

/// A user as clients see it, with a fresh link to its photo.
async fn user_view<'u, S, P, X, F: PhotoStore, C>(
    app: &App<S, P, X, F, C>,
    user: &'u User,
) -> Result<UserView<'u>, HttpError> {
    let mut view = UserView::from(user);
    view.photo_url = photos::photo_url(&app.photos, user).await?;
    Ok(view)
}

async fn user_response<S, P, X, F: PhotoStore, C>(
    app: &App<S, P, X, F, C>,
    status: StatusCode,
    user: &User,
) -> Result<Response<Body>, HttpError> {
    let mut headers = vec![("etag", format!("\"{}\"", user.version))];
    if status == StatusCode::CREATED {
        headers.push(("location", format!("/v1/users/{}", user.id)));
    }
    Ok(json_with_headers(
        status,
        &user_view(app, user).await?,
        &headers,
    ))
}

pub(crate) fn parse_user_id(id: Option<&str>) -> Result<UserId, HttpError> {
    let raw = id.unwrap_or_default();
    UserId::parse(raw).map_err(|e| HttpError::bad_field("id", e.0))
}

fn parse_department_id(id: Option<&str>) -> Result<DepartmentId, HttpError> {
    DepartmentId::parse(id.unwrap_or_default()).map_err(|e| HttpError::bad_field("id", e.0))
}

/// The `If-Match` header as the domain's precondition; 400 only for a value that is not an
/// entity tag (or list of them) at all.
fn if_match(headers: &HeaderMap) -> Result<Option<Precondition>, HttpError> {
    let Some(value) = headers.get("if-match") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(roster_http::parse_if_match)
        .map(Some)
        .ok_or_else(|| {
            HttpError::bad_field(
                "If-Match",
                "must be the ETag you read (like \"3\"), a list of them, or *",
            )
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewScimToken {
    name: String,
}

/// A token as listed: never its secret or hash.
fn token_view(token: &ScimToken) -> serde_json::Value {
    let created = serde_json::to_value(&token.created).unwrap_or_default();
    json_value!({
        "id": token.id.to_string(),
        "name": token.name,
        "created_at": created["at"],
        "created_by": created["by"],
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    generate: Option<bool>,
    password: Option<Password>,
}

impl PasswordBody {
    fn into_change(self) -> Result<PasswordChange, HttpError> {
        match (self.generate, self.password) {
            (Some(true), None) => Ok(PasswordChange::Generate),
            (None | Some(false), Some(p)) => Ok(PasswordChange::Set(p)),
            _ => Err(HttpError::bad_request(
                "send either {\"generate\": true} or {\"password\": \"...\"}",
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivationBody {
    channels: Option<BTreeSet<Channel>>,
}

/// The tenant's users as CSV: inline when small, else an S3 object behind a pre-signed link;
/// an export that outgrows the request goes on in the worker (202 and where to follow it).
async fn export<S, P, X, F, C>(
    app: &App<S, P, X, F, C>,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, HttpError>
where
    S: ListUsers + ExportJobStore + Sync,
    X: ExportFiles,
    C: ContinueExport,
{
    let params = request.query_string_parameters();
    match params.first("format") {
        None | Some("csv") => {}
        Some(other) => {
            return Err(HttpError::bad_field(
                "format",
                format!("'{other}' is not supported; use csv"),
            ));
        }
    }
    let exporter = Exporter {
        store: &app.store,
        files: &app.exports,
        continuation: &app.continuation,
        config: app.export,
    };
    let hand_over_at = std::time::Instant::now() + app.export_budget;
    match exporter
        .start(caller, user_query(request)?, hand_over_at)
        .await?
    {
        ExportStep::Inline(bytes) => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/csv; charset=utf-8")
            .header("content-disposition", "attachment; filename=\"users.csv\"")
            .body(Body::Text(
                String::from_utf8(bytes).map_err(HttpError::internal)?,
            ))
            .map_err(HttpError::internal),
        ExportStep::Completed(job) => Ok(json(StatusCode::OK, &export_view(app, &job).await?)),
        ExportStep::Continued(job) => {
            let location = format!("/v1/users/exports/{}", job.id);
            Ok(json_with_headers(
                StatusCode::ACCEPTED,
                &export_view(app, &job).await?,
                &[("location", location)],
            ))
        }
        ExportStep::Skipped(why) => Err(HttpError::internal(why)),
    }
}

/// An export job as clients see it; `url` once it is completed.
async fn export_view<S, P, X: ExportFiles, F, C>(
    app: &App<S, P, X, F, C>,
    job: &ExportJob,
) -> Result<serde_json::Value, HttpError> {
    let url = match job.status {
        roster_domain::use_cases::export_job::ExportStatus::Completed => Some(
            app.exports
                .export_link(&job.key)
                .await
                .map_err(HttpError::internal)?,
        ),
        _ => None,
    };
    let time = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    };
    Ok(json_value!({
        "id": job.id,
        "status": job.status,
        "rows": job.rows,
        "requested_at": time(job.requested_at),
        "finished_at": job.finished_at.and_then(time),
        "error": job.error,
        "url": url,
        "status_url": format!("/v1/users/exports/{}", job.id),
    }))
}

/// `GET /v1/users/exports/{id}`: how an export that went on in the worker is doing.
async fn export_status<S, P, X, F, C>(
    app: &App<S, P, X, F, C>,
    caller: &Caller,
    id: Option<&str>,
) -> Result<Response<Body>, HttpError>
where
    S: ExportJobStore + Sync,
    X: ExportFiles,
{
    let id = roster_domain::ids::ExportJobId::parse(id.unwrap_or_default())
        .map_err(|e| HttpError::bad_field("id", e.to_string()))?;
    let job = app
        .store
        .get_export(&caller.tenant, &id)
        .await
        .map_err(roster_domain::error::AppError::from)?
        .filter(|job| job.visible_to(caller))
        .ok_or(roster_domain::error::AppError::NotFound("export"))?;
    Ok(json(StatusCode::OK, &export_view(app, &job).await?))
}
