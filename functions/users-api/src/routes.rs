//! The route table: the one list the router dispatches on and the OpenAPI test compares with
//! `docs/openapi.json`.

use lambda_http::http::Method;
use roster_domain::pick_list::PickListKind;
use roster_http::{HttpError, PathIds};

const LOCATION: PickListKind = PickListKind::Location;
const JOB: PickListKind = PickListKind::JobDescription;

/// Every operation this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    CreateUser,
    ListUsers,
    ExportUsers,
    ExportStatus,
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
    ListGroups,
    CreateGroup,
    GetGroup,
    UpdateGroup,
    DeleteGroup,
    ListMembers,
    AddMember,
    RemoveMember,
    ListDevices,
    AddDevice,
    UpdateDevice,
    DeleteDevice,
    GetVoicemail,
    PutVoicemail,
    GetAnsweringRules,
    PutAnsweringRules,
    UploadPhoto,
    UserContacts,
    AddressBook,
    ListSharedContacts,
    CreateSharedContact,
    UpdateSharedContact,
    DeleteSharedContact,
    GetTenant,
    PutTenant,
    CreateScimToken,
    ListScimTokens,
    RevokeScimToken,
    OpenApi,
}

/// (method, path template, route). Literal segments win over `{id}` (export before get).
pub const ROUTES: &[(&str, &str, Route)] = &[
    ("POST", "/v1/users", Route::CreateUser),
    ("GET", "/v1/users", Route::ListUsers),
    ("GET", "/v1/users/export", Route::ExportUsers),
    ("GET", "/v1/users/exports/{id}", Route::ExportStatus),
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
    ("GET", "/v1/groups", Route::ListGroups),
    ("POST", "/v1/groups", Route::CreateGroup),
    ("GET", "/v1/groups/{id}", Route::GetGroup),
    ("PATCH", "/v1/groups/{id}", Route::UpdateGroup),
    ("DELETE", "/v1/groups/{id}", Route::DeleteGroup),
    ("GET", "/v1/groups/{id}/members", Route::ListMembers),
    ("PUT", "/v1/groups/{id}/members/{user_id}", Route::AddMember),
    (
        "DELETE",
        "/v1/groups/{id}/members/{user_id}",
        Route::RemoveMember,
    ),
    ("GET", "/v1/users/{id}/devices", Route::ListDevices),
    ("POST", "/v1/users/{id}/devices", Route::AddDevice),
    (
        "PATCH",
        "/v1/users/{id}/devices/{device_id}",
        Route::UpdateDevice,
    ),
    (
        "DELETE",
        "/v1/users/{id}/devices/{device_id}",
        Route::DeleteDevice,
    ),
    ("GET", "/v1/users/{id}/voicemail", Route::GetVoicemail),
    ("PUT", "/v1/users/{id}/voicemail", Route::PutVoicemail),
    (
        "GET",
        "/v1/users/{id}/answering-rules",
        Route::GetAnsweringRules,
    ),
    (
        "PUT",
        "/v1/users/{id}/answering-rules",
        Route::PutAnsweringRules,
    ),
    ("POST", "/v1/users/{id}/photo", Route::UploadPhoto),
    ("GET", "/v1/users/{id}/contacts", Route::UserContacts),
    ("GET", "/v1/address-book", Route::AddressBook),
    ("GET", "/v1/shared-contacts", Route::ListSharedContacts),
    ("POST", "/v1/shared-contacts", Route::CreateSharedContact),
    (
        "PATCH",
        "/v1/shared-contacts/{id}",
        Route::UpdateSharedContact,
    ),
    (
        "DELETE",
        "/v1/shared-contacts/{id}",
        Route::DeleteSharedContact,
    ),
    ("GET", "/v1/tenant", Route::GetTenant),
    ("PUT", "/v1/tenant", Route::PutTenant),
    ("POST", "/v1/scim/tokens", Route::CreateScimToken),
    ("GET", "/v1/scim/tokens", Route::ListScimTokens),
    ("DELETE", "/v1/scim/tokens/{id}", Route::RevokeScimToken),
    ("GET", "/v1/openapi.json", Route::OpenApi),
];

/// Finds the route for a request: 404 for unknown paths, 405 for a known path with another
/// method.
pub fn resolve<'p>(method: &Method, path: &'p str) -> Result<(Route, PathIds<'p>), HttpError> {
    roster_http::resolve(ROUTES, method, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_domain::error::AppError;

    #[test]
    fn literal_segments_win_over_ids() {
        let first = |m: &Method, p: &'static str| {
            let (route, ids) = resolve(m, p).unwrap();
            (route, ids.first(), ids.second())
        };
        assert_eq!(
            first(&Method::GET, "/v1/users/export"),
            (Route::ExportUsers, None, None)
        );
        assert_eq!(
            first(&Method::GET, "/v1/users/01ABC"),
            (Route::GetUser, Some("01ABC"), None)
        );
        assert_eq!(
            first(&Method::POST, "/v1/users/x/password/reset"),
            (Route::ResetPassword, Some("x"), None)
        );
        assert_eq!(
            first(&Method::PUT, "/v1/groups/g1/members/01ABC"),
            (Route::AddMember, Some("g1"), Some("01ABC"))
        );
        assert_eq!(
            first(&Method::PATCH, "/v1/users/01ABC/devices/d1"),
            (Route::UpdateDevice, Some("01ABC"), Some("d1"))
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
            Err(HttpError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            resolve(&Method::GET, "/v1/users//disable"),
            Err(HttpError::App(AppError::NotFound(_)))
        ));
    }
}
