//! The directory routes: groups and members, devices, voicemail, answering rules, photos,
//! contacts, the address book and shared contacts. Decode, call the use case, encode.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use roster_domain::activation::PublishActivation;
use roster_domain::caller::Caller;
use roster_domain::directory::contacts::ContactEntry;
use roster_domain::directory::photo::PhotoStore;
use roster_domain::directory::voicemail::VoicemailView;
use roster_domain::ids::{DeviceId, GroupId, SharedContactId};
use roster_domain::store::{DirectoryStore, Page};
use roster_domain::use_cases::export_job::{ContinueExport, ExportFiles};
use roster_domain::use_cases::{contacts, devices, groups, phone_settings, photos};
use roster_domain::views::UserView;
use roster_http::{HttpError, PathIds, empty, json, json_body, json_object, user_query};
use serde_json::{Value, json as json_value};

use crate::routes::Route;
use crate::{App, parse_user_id};

fn parse<T>(
    raw: Option<&str>,
    field: &str,
    parse: fn(&str) -> Result<T, roster_domain::ids::InvalidId>,
) -> Result<T, HttpError> {
    parse(raw.unwrap_or_default()).map_err(|e| HttpError::bad_field(field, e.0))
}

/// Contact entries with fresh photo links for those who show their photo.
async fn contact_page<F: PhotoStore>(
    photos: &F,
    page: Page<ContactEntry>,
) -> Result<Response<Body>, HttpError> {
    let mut items = page.items;
    for entry in &mut items {
        if let Some(key) = &entry.photo_key {
            entry.photo_url = Some(photos.view_link(key).await.map_err(HttpError::internal)?);
        }
    }
    Ok(json(
        StatusCode::OK,
        &json_value!({ "items": items, "next_cursor": page.next_cursor }),
    ))
}

pub(crate) async fn dispatch<S, P, X, F, C>(
    app: &App<S, P, X, F, C>,
    caller: &Caller,
    route: Route,
    ids: &PathIds<'_>,
    request: &Request,
) -> Result<Response<Body>, HttpError>
where
    S: DirectoryStore,
    P: PublishActivation + Sync,
    X: ExportFiles,
    C: ContinueExport,
    F: PhotoStore + Sync,
{
    let store = &app.store;
    let group_id = || parse(ids.first(), "id", GroupId::parse);
    let user_id = || parse_user_id(ids.first());
    let member_id = || {
        parse_user_id(ids.second())
            .map_err(|_| HttpError::bad_field("user_id", "is not a valid user id"))
    };
    let device_id = || parse(ids.second(), "device_id", DeviceId::parse);
    let contact_id = || parse(ids.first(), "id", SharedContactId::parse);
    match route {
        Route::ListGroups => Ok(json(
            StatusCode::OK,
            &json_value!({ "items": groups::list_groups(store, caller).await? }),
        )),
        Route::CreateGroup => {
            let group = groups::create_group(store, caller, json_body(request)?).await?;
            Ok(json(StatusCode::CREATED, &group))
        }
        Route::GetGroup => Ok(json(
            StatusCode::OK,
            &groups::get_group(store, caller, &group_id()?).await?,
        )),
        Route::UpdateGroup => {
            let patch = json_object(request)?;
            Ok(json(
                StatusCode::OK,
                &groups::update_group(store, caller, &group_id()?, patch).await?,
            ))
        }
        Route::DeleteGroup => {
            groups::delete_group(store, caller, &group_id()?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::ListMembers => {
            let query = user_query(request)?;
            let page = groups::list_members(
                store,
                caller,
                &group_id()?,
                query.cursor.as_deref(),
                query.limit,
            )
            .await?;
            let items: Vec<UserView> = page.items.iter().map(UserView::from).collect();
            Ok(json(
                StatusCode::OK,
                &json_value!({ "items": items, "next_cursor": page.next_cursor }),
            ))
        }
        Route::AddMember => {
            groups::add_member(store, caller, &group_id()?, &member_id()?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::RemoveMember => {
            groups::remove_member(store, caller, &group_id()?, &member_id()?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::ListDevices => Ok(json(
            StatusCode::OK,
            &json_value!({ "items": devices::list_devices(store, caller, &user_id()?).await? }),
        )),
        Route::AddDevice => {
            let body = json_object(request)?;
            let device = devices::add_device(store, caller, &user_id()?, body).await?;
            Ok(json(StatusCode::CREATED, &device))
        }
        Route::UpdateDevice => {
            let patch = json_object(request)?;
            let device =
                devices::update_device(store, caller, &user_id()?, &device_id()?, patch).await?;
            Ok(json(StatusCode::OK, &device))
        }
        Route::DeleteDevice => {
            devices::delete_device(store, caller, &user_id()?, &device_id()?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Route::GetVoicemail => {
            let voicemail = phone_settings::get_voicemail(store, caller, &user_id()?).await?;
            Ok(json(StatusCode::OK, &VoicemailView::from(&voicemail)))
        }
        Route::PutVoicemail => {
            let body = json_object(request)?;
            let voicemail = phone_settings::put_voicemail(store, caller, &user_id()?, body).await?;
            Ok(json(StatusCode::OK, &VoicemailView::from(&voicemail)))
        }
        Route::GetAnsweringRules => {
            let rules = phone_settings::get_answering_rules(store, caller, &user_id()?).await?;
            Ok(json(StatusCode::OK, &json_value!({ "rules": rules })))
        }
        Route::PutAnsweringRules => {
            let body: Value = json_body(request)?;
            let rules =
                phone_settings::put_answering_rules(store, caller, &user_id()?, body).await?;
            Ok(json(StatusCode::OK, &json_value!({ "rules": rules })))
        }
        Route::UploadPhoto => {
            let body = json_body(request)?;
            let upload =
                photos::request_upload(store, &app.photos, caller, &user_id()?, body).await?;
            Ok(json(StatusCode::OK, &upload))
        }
        Route::UserContacts => {
            let query = user_query(request)?;
            let page =
                contacts::user_contacts(store, caller, &user_id()?, query.cursor, query.limit)
                    .await?;
            contact_page(&app.photos, page).await
        }
        Route::AddressBook => {
            let query = user_query(request)?;
            let page = contacts::address_book(store, caller, query.text, query.cursor, query.limit)
                .await?;
            contact_page(&app.photos, page).await
        }
        Route::ListSharedContacts => Ok(json(
            StatusCode::OK,
            &json_value!({ "items": contacts::list_shared_contacts(store, caller).await? }),
        )),
        Route::CreateSharedContact => {
            let body = json_object(request)?;
            let contact = contacts::create_shared_contact(store, caller, body).await?;
            Ok(json(StatusCode::CREATED, &contact))
        }
        Route::UpdateSharedContact => {
            let patch = json_object(request)?;
            let contact =
                contacts::update_shared_contact(store, caller, &contact_id()?, patch).await?;
            Ok(json(StatusCode::OK, &contact))
        }
        Route::DeleteSharedContact => {
            contacts::delete_shared_contact(store, caller, &contact_id()?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        other => Err(HttpError::internal(format!(
            "{other:?} is not a directory route"
        ))),
    }
}
