//! The imports API: create a job and get a pre-signed upload link, track jobs, cancel one,
//! download its error report, download the template. Thin: the use cases live in
//! `roster_domain::use_cases::imports`.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use roster_domain::caller::Permission;
use roster_domain::ids::ImportJobId;
use roster_domain::import::files::{ContinueJob, ImportFiles};
use roster_domain::import::report::{ReportFormat, template};
use roster_domain::store::{ImportJobStore, ImportShareStore};
use roster_domain::use_cases::imports::{self, NewImport, Proceed};
use roster_domain::views::ImportJobView;
use roster_http::{HttpError, caller, error_response, import_query, json, json_body};
use serde_json::json as json_value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Create,
    List,
    Template,
    Get,
    Cancel,
    Proceed,
    Report,
}

pub const ROUTES: &[(&str, &str, Route)] = &[
    ("POST", "/v1/imports", Route::Create),
    ("GET", "/v1/imports", Route::List),
    ("GET", "/v1/imports/template", Route::Template),
    ("GET", "/v1/imports/{id}", Route::Get),
    ("POST", "/v1/imports/{id}/cancel", Route::Cancel),
    ("POST", "/v1/imports/{id}/proceed", Route::Proceed),
    ("GET", "/v1/imports/{id}/report", Route::Report),
];

pub struct App<S, F, C> {
    pub store: S,
    pub files: F,
    /// Hands a proceeded job to the worker.
    pub continuation: C,
}

impl App<roster_aws::DynamoStore, roster_aws::S3ImportFiles, roster_aws::SqsContinuation> {
    /// The real adapters, from `ROSTER_TABLE`, `ROSTER_IMPORT_BUCKET` and
    /// `ROSTER_IMPORT_QUEUE_URL`.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        Ok(Self {
            store: roster_aws::DynamoStore::from_environment(config)?,
            files: roster_aws::S3ImportFiles::from_environment(config)?,
            continuation: roster_aws::SqsContinuation::from_environment(config)?,
        })
    }
}

pub async fn handle<S, F, C>(app: &App<S, F, C>, request: Request) -> Response<Body>
where
    S: ImportJobStore + ImportShareStore + Sync,
    F: ImportFiles,
    C: ContinueJob,
{
    match dispatch(app, &request).await {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

fn job_id(id: Option<&str>) -> Result<ImportJobId, HttpError> {
    ImportJobId::parse(id.unwrap_or_default()).map_err(|e| HttpError::bad_field("id", e.0))
}

async fn dispatch<S, F, C>(
    app: &App<S, F, C>,
    request: &Request,
) -> Result<Response<Body>, HttpError>
where
    S: ImportJobStore + ImportShareStore + Sync,
    F: ImportFiles,
    C: ContinueJob,
{
    let method: &Method = request.method();
    let (route, ids) = roster_http::resolve(ROUTES, method, request.uri().path())?;
    let id = ids.first();
    let caller = caller(request)?;
    let params = request.query_string_parameters();
    match route {
        Route::Create => {
            caller.require(Permission::Import)?; // before reading the body: no hints for others
            let body: NewImport = json_body(request)?;
            let (job, upload_url) =
                imports::create_import(&app.store, &app.files, &caller, body).await?;
            Ok(json(
                StatusCode::CREATED,
                &json_value!({ "job": ImportJobView::from(&job), "upload_url": upload_url }),
            ))
        }
        Route::List => {
            let list = imports::list_imports(&app.store, &caller, &import_query(request)?).await?;
            let items: Vec<ImportJobView> = list.iter().map(ImportJobView::from).collect();
            Ok(json(StatusCode::OK, &json_value!({ "items": items })))
        }
        Route::Get => {
            let job = imports::track_import(&app.store, &caller, &job_id(id)?).await?;
            Ok(json(StatusCode::OK, &ImportJobView::from(&job)))
        }
        Route::Cancel => {
            let job = imports::cancel_import(&app.store, &caller, &job_id(id)?).await?;
            Ok(json(StatusCode::OK, &ImportJobView::from(&job)))
        }
        Route::Proceed => {
            caller.require(Permission::Import)?;
            let body: Proceed = json_body(request)?;
            let job =
                imports::proceed_import(&app.store, &app.continuation, &caller, &job_id(id)?, body)
                    .await?;
            Ok(json(StatusCode::ACCEPTED, &ImportJobView::from(&job)))
        }
        Route::Report => {
            let url = imports::report_link(
                &app.store,
                &app.files,
                &caller,
                &job_id(id)?,
                params.first("format"),
            )
            .await?;
            Ok(json(StatusCode::OK, &json_value!({ "url": url })))
        }
        Route::Template => {
            let format = match params.first("format") {
                None | Some("csv") => ReportFormat::CSV,
                Some("xlsx") => ReportFormat::Xlsx,
                Some("xls") => ReportFormat::Xls,
                Some("ods") => ReportFormat::Ods,
                Some(_) => {
                    return Err(HttpError::bad_field(
                        "format",
                        "must be csv, xlsx, xls or ods",
                    ));
                }
            };
            let bytes = template(format).map_err(HttpError::internal)?;
            let content_type = format.content_type();
            let body = match format {
                ReportFormat::Csv { .. } => {
                    Body::Text(String::from_utf8_lossy(&bytes).into_owned())
                }
                _ => Body::Binary(bytes),
            };
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", content_type)
                .header(
                    "content-disposition",
                    format!(
                        "attachment; filename=\"users-template.{}\"",
                        format.extension()
                    ),
                )
                .body(body)
                .map_err(HttpError::internal)
        }
    }
}
