//! The route table: the one list the router dispatches on and the OpenAPI test compares with
//! `docs/openapi.json`.

use lambda_http::http::Method;
use roster_domain::pick_list::PickListKind;
use roster_http::HttpError;

const LOCATION: PickListKind = PickListKind::Location;
const JOB: PickListKind = PickListKind::JobDescription;

/// Every operation this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    CreateUser,
    ListUsers,
    ExportUsers,
    GetUser,
    UpdateUser,
    DeleteUser,
    DisableUser,
    EnableUser,
    SetPassword,
    ResetPassword,
    SendActivation,
    ListDepartments,
    CreateDepartment,
    RenameDepartment,
    DeleteDepartment,
    ListPickList(PickListKind),
    CreatePickEntry(PickListKind),
    DeletePickEntry(PickListKind),
    GetTenant,
    PutTenant,
    OpenApi,
}

/// (method, path template, route). Literal segments win over `{id}` (export before get).
pub const ROUTES: &[(&str, &str, Route)] = &[
    ("POST", "/v1/users", Route::CreateUser),
    ("GET", "/v1/users", Route::ListUsers),
    ("GET", "/v1/users/export", Route::ExportUsers),
    ("GET", "/v1/users/{id}", Route::GetUser),
    ("PATCH", "/v1/users/{id}", Route::UpdateUser),
    ("DELETE", "/v1/users/{id}", Route::DeleteUser),
    ("POST", "/v1/users/{id}/disable", Route::DisableUser),
    ("POST", "/v1/users/{id}/enable", Route::EnableUser),
    ("POST", "/v1/users/{id}/password", Route::SetPassword),
    (
        "POST",
        "/v1/users/{id}/password/reset",
        Route::ResetPassword,
    ),
    ("POST", "/v1/users/{id}/activation", Route::SendActivation),
    ("GET", "/v1/departments", Route::ListDepartments),
    ("POST", "/v1/departments", Route::CreateDepartment),
    ("PATCH", "/v1/departments/{id}", Route::RenameDepartment),
    ("DELETE", "/v1/departments/{id}", Route::DeleteDepartment),
    ("GET", "/v1/locations", Route::ListPickList(LOCATION)),
    ("POST", "/v1/locations", Route::CreatePickEntry(LOCATION)),
    (
        "DELETE",
        "/v1/locations/{id}",
        Route::DeletePickEntry(LOCATION),
    ),
    ("GET", "/v1/job-descriptions", Route::ListPickList(JOB)),
    ("POST", "/v1/job-descriptions", Route::CreatePickEntry(JOB)),
    (
        "DELETE",
        "/v1/job-descriptions/{id}",
        Route::DeletePickEntry(JOB),
    ),
    ("GET", "/v1/tenant", Route::GetTenant),
    ("PUT", "/v1/tenant", Route::PutTenant),
    ("GET", "/v1/openapi.json", Route::OpenApi),
];

/// Finds the route for a request: 404 for unknown paths, 405 for a known path with another
/// method.
pub fn resolve<'p>(method: &Method, path: &'p str) -> Result<(Route, Option<&'p str>), HttpError> {
    roster_http::resolve(ROUTES, method, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_domain::error::AppError;

    #[test]
    fn literal_segments_win_over_ids() {
        assert_eq!(
            resolve(&Method::GET, "/v1/users/export").unwrap(),
            (Route::ExportUsers, None)
        );
        assert_eq!(
            resolve(&Method::GET, "/v1/users/01ABC").unwrap(),
            (Route::GetUser, Some("01ABC"))
        );
        assert_eq!(
            resolve(&Method::POST, "/v1/users/x/password/reset").unwrap(),
            (Route::ResetPassword, Some("x"))
        );
    }

    #[test]
    fn unknown_paths_404_and_wrong_methods_405() {
        assert!(matches!(
            resolve(&Method::GET, "/v1/nothing"),
            Err(HttpError::App(AppError::NotFound(_)))
        ));
        assert!(matches!(
            resolve(&Method::PUT, "/v1/users"),
            Err(HttpError::MethodNotAllowed(_))
        ));
        assert!(matches!(
            resolve(&Method::GET, "/v1/users//disable"),
            Err(HttpError::App(AppError::NotFound(_)))
        ));
    }
}
