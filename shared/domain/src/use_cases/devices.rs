//! Use cases on a user's phones and extensions [004]. Each is a change of the user, so the
//! database moves the extension and MAC claims in the same transaction (409 naming the field
//! when another device of the tenant holds one).

use serde_json::{Map, Value};

use crate::caller::Caller;
use crate::directory::device::{DEVICES_PER_USER, Device, DeviceDraft, validate_device};
use crate::error::AppError;
use crate::ids::{DeviceId, UserId};
use crate::store::{GetUser, UpdateUser};
use crate::use_cases::users::{change, get_user};
use crate::validation::{ValidationErrors, decode_named};

fn not_found() -> AppError {
    AppError::NotFound("device")
}

/// 422 when another device of the same user already has the extension or MAC address.
fn check_against_siblings(device: &Device, siblings: &[Device]) -> Result<(), AppError> {
    if siblings.iter().any(|d| d.extension == device.extension) {
        return Err(ValidationErrors::single(
            "extension",
            "is already on another device of this user",
        )
        .into());
    }
    if device.mac_address.is_some() && siblings.iter().any(|d| d.mac_address == device.mac_address)
    {
        return Err(ValidationErrors::single(
            "mac_address",
            "is already on another device of this user",
        )
        .into());
    }
    Ok(())
}

pub async fn list_devices<S: GetUser>(
    store: &S,
    caller: &Caller,
    user: &UserId,
) -> Result<Vec<Device>, AppError> {
    Ok(get_user(store, caller, user).await?.profile.devices)
}

pub async fn add_device<S: GetUser + UpdateUser>(
    store: &S,
    caller: &Caller,
    user: &UserId,
    body: Map<String, Value>,
) -> Result<Device, AppError> {
    if body.contains_key("id") {
        return Err(AppError::bad_field("id", "is set by the system"));
    }
    let draft: DeviceDraft = decode_named(Value::Object(body), "")
        .map_err(|e| AppError::bad_field(e.field, e.message))?;
    let device = validate_device(&draft)?;
    let added = device.clone();
    change(store, caller, user, move |u| {
        if u.profile.devices.len() >= DEVICES_PER_USER {
            return Err(ValidationErrors::single(
                "devices",
                format!("a user may have at most {DEVICES_PER_USER} devices"),
            )
            .into());
        }
        check_against_siblings(&device, &u.profile.devices)?;
        u.profile.devices.push(device);
        Ok(())
    })
    .await?;
    Ok(added)
}

/// `PATCH …/devices/{id}`: a merge patch (null clears label, model, MAC address).
pub async fn update_device<S: GetUser + UpdateUser>(
    store: &S,
    caller: &Caller,
    user: &UserId,
    device: &DeviceId,
    patch: Map<String, Value>,
) -> Result<Device, AppError> {
    if patch.contains_key("id") {
        return Err(AppError::bad_field("id", "cannot be changed"));
    }
    let mut updated = None;
    change(store, caller, user, |u| {
        let at = u
            .profile
            .devices
            .iter()
            .position(|d| &d.id == device)
            .ok_or_else(not_found)?;
        let current = serde_json::to_value(DeviceDraft::from(&u.profile.devices[at]))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let Value::Object(mut fields) = current else {
            return Err(AppError::Internal("a device draft is an object".into()));
        };
        fields.extend(patch);
        let draft: DeviceDraft = decode_named(Value::Object(fields), "")
            .map_err(|e| AppError::bad_field(e.field, e.message))?;
        let next = validate_device(&draft)?;
        let siblings: Vec<Device> = u
            .profile
            .devices
            .iter()
            .filter(|d| &d.id != device)
            .cloned()
            .collect();
        check_against_siblings(&next, &siblings)?;
        u.profile.devices[at] = next.clone();
        updated = Some(next);
        Ok(())
    })
    .await?;
    updated.ok_or_else(not_found)
}

/// Frees the device's extension and MAC address for other devices.
pub async fn delete_device<S: GetUser + UpdateUser>(
    store: &S,
    caller: &Caller,
    user: &UserId,
    device: &DeviceId,
) -> Result<(), AppError> {
    change(store, caller, user, |u| {
        let before = u.profile.devices.len();
        u.profile.devices.retain(|d| &d.id != device);
        if u.profile.devices.len() == before {
            return Err(not_found());
        }
        Ok(())
    })
    .await?;
    Ok(())
}
