//! Use cases on profile photos [002]: hand out an upload link, check what was uploaded before
//! it is shown, and sign short-lived links for those who may see it.

use serde::Deserialize;

use crate::caller::Caller;
use crate::directory::photo::{PHOTO_MAX_BYTES, PHOTO_TYPES, PendingPhoto, PhotoStore, acceptable};
use crate::error::AppError;
use crate::ids::{Actor, UserId};
use crate::object_keys;
use crate::store::{GetUser, StoreError, UpdateUser};
use crate::use_cases::users::change;
use crate::user::User;
use crate::validation::ValidationErrors;

/// `POST /v1/users/{id}/photo` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoRequest {
    pub content_type: String,
    /// When given, the link accepts exactly this many bytes.
    #[serde(default)]
    pub content_length: Option<u64>,
}

/// What the client gets: where to PUT the image, with which `Content-Type`.
#[derive(Debug, serde::Serialize)]
pub struct PhotoUpload {
    pub upload_url: String,
    pub content_type: String,
    pub max_bytes: u64,
}

fn internal(e: String) -> AppError {
    AppError::Internal(e)
}

pub async fn request_upload<S, P>(
    store: &S,
    photos: &P,
    caller: &Caller,
    id: &UserId,
    request: PhotoRequest,
) -> Result<PhotoUpload, AppError>
where
    S: GetUser + UpdateUser,
    P: PhotoStore,
{
    let content_type = request.content_type.trim().to_ascii_lowercase();
    let Some((_, extension)) = PHOTO_TYPES.iter().find(|(t, _)| *t == content_type) else {
        let types: Vec<&str> = PHOTO_TYPES.iter().map(|(t, _)| *t).collect();
        return Err(ValidationErrors::single(
            "content_type",
            format!("must be an image type: {}", types.join(", ")),
        )
        .into());
    };
    if let Some(n) = request.content_length
        && !(1..=PHOTO_MAX_BYTES).contains(&n)
    {
        return Err(ValidationErrors::single(
            "content_length",
            format!(
                "a photo must be 1 byte to {} MB",
                PHOTO_MAX_BYTES / (1024 * 1024)
            ),
        )
        .into());
    }
    let key = object_keys::photo(&caller.tenant, id, extension);
    let pending = PendingPhoto {
        key: key.clone(),
        content_type: content_type.clone(),
    };
    let mut replaced = None;
    change(store, caller, id, |u| {
        replaced = u.photo_upload.replace(pending);
        Ok(())
    })
    .await?;
    if let Some(old) = replaced {
        photos.delete(&old.key).await.map_err(internal)?;
    }
    let upload_url = photos
        .upload_link(&key, &content_type, request.content_length)
        .await
        .map_err(internal)?;
    Ok(PhotoUpload {
        upload_url,
        content_type,
        max_bytes: PHOTO_MAX_BYTES,
    })
}

/// Checks a pending upload once it is there: a valid image becomes the user's photo (the old
/// one is deleted), anything else is deleted. Returns the user as it now is.
pub async fn settle<S, P>(store: &S, photos: &P, user: User) -> Result<User, AppError>
where
    S: GetUser + UpdateUser,
    P: PhotoStore,
{
    let Some(pending) = user.photo_upload.clone() else {
        return Ok(user);
    };
    let Some(stored) = photos.inspect(&pending.key).await.map_err(internal)? else {
        return Ok(user);
    };
    let accepted = acceptable(&pending, &stored);
    let mut next = user.clone().touched(&Actor::new("photo-check"));
    next.photo_upload = None;
    let old = if accepted {
        next.profile.photo.replace(pending.key.clone())
    } else {
        tracing::warn!(user_id = %user.id, size = stored.size, "uploaded photo refused");
        None
    };
    match store.update_user(&user, &next).await {
        Ok(()) => {}
        // Someone else changed the user meanwhile: the next read settles it.
        Err(StoreError::VersionMismatch) => return Ok(user),
        Err(e) => return Err(e.into()),
    }
    let gone = if accepted { old } else { Some(pending.key) };
    if let Some(key) = gone {
        photos.delete(&key).await.map_err(internal)?;
    }
    Ok(next)
}

/// A short-lived link to the user's photo, if it has one.
pub async fn photo_url<P: PhotoStore>(photos: &P, user: &User) -> Result<Option<String>, AppError> {
    match &user.profile.photo {
        Some(key) => Ok(Some(photos.view_link(key).await.map_err(internal)?)),
        None => Ok(None),
    }
}

/// Deletes a (deleted) user's photo objects.
pub async fn forget<P: PhotoStore>(photos: &P, user: &User) -> Result<(), AppError> {
    let keys = user
        .profile
        .photo
        .iter()
        .chain(user.photo_upload.as_ref().map(|p| &p.key));
    for key in keys {
        photos.delete(key).await.map_err(internal)?;
    }
    Ok(())
}
