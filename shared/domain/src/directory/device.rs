//! Phones and extensions attached to a user [004].
//!
//! Devices live on the user item (a user has a handful), so a device change is a user change:
//! versioned, and its extension and MAC claims move in the user's own transaction.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::enums::DeviceKind;
use crate::ids::DeviceId;
use crate::validation::values::{check_enum, check_extension, check_text, present};
use crate::validation::{NAME_MAX, Report, ValidationErrors};

/// At most this many devices per user: each holds up to two claims in the user's transaction.
pub const DEVICES_PER_USER: usize = 10;

/// A MAC address as `aa:bb:cc:dd:ee:ff`, however it was typed; unique in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MacAddress(String);

impl MacAddress {
    /// Accepts `AA:BB:CC:DD:EE:FF`, `aa-bb-…`, `aabb.ccdd.eeff` and `aabbccddeeff`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let hex: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | '.'))
            .collect();
        if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "'{}' is not a MAC address (12 hex digits, like 00:1A:2B:3C:4D:5E)",
                raw.chars().take(40).collect::<String>()
            ));
        }
        let hex = hex.to_ascii_lowercase();
        let pairs: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
        Ok(Self(pairs.join(":")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Devices stored before devices had ids get one when read.
    #[serde(default = "DeviceId::generate")]
    pub id: DeviceId,
    pub extension: String,
    #[serde(default = "desk_phone")]
    pub kind: DeviceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<MacAddress>,
}

fn desk_phone() -> DeviceKind {
    DeviceKind::DeskPhone
}

/// A device as a client (or a sheet's Extension cell) describes it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub extension: Option<String>,
    pub kind: Option<String>,
    pub label: Option<String>,
    pub model: Option<String>,
    pub mac_address: Option<String>,
}

impl From<&Device> for DeviceDraft {
    fn from(d: &Device) -> Self {
        Self {
            id: Some(d.id.to_string()),
            extension: Some(d.extension.clone()),
            kind: Some(d.kind.as_str().to_owned()),
            label: d.label.clone(),
            model: d.model.clone(),
            mac_address: d.mac_address.as_ref().map(ToString::to_string),
        }
    }
}

/// Checks one device, naming fields under `prefix` (`devices[2].` or nothing).
pub(crate) fn check_device(draft: &DeviceDraft, prefix: &str, r: &mut Report) -> Option<Device> {
    let field = |name: &str| format!("{prefix}{name}");
    let id = match present(&draft.id) {
        None => Some(DeviceId::generate()),
        Some(raw) => r.check(&field("id"), DeviceId::parse(raw).map_err(|e| e.0)),
    };
    let extension = match present(&draft.extension) {
        None => {
            r.add(field("extension"), "is required");
            None
        }
        Some(raw) => r.check(&field("extension"), check_extension(raw)),
    };
    let kind = r.check(
        &field("kind"),
        check_enum(present(&draft.kind), DeviceKind::DeskPhone),
    );
    let text = |r: &mut Report, name: &str, value: &Option<String>| {
        present(value).and_then(|v| r.check(&field(name), check_text(v.trim(), NAME_MAX)))
    };
    let label = text(r, "label", &draft.label);
    let model = text(r, "model", &draft.model);
    let mac_address = present(&draft.mac_address)
        .and_then(|raw| r.check(&field("mac_address"), MacAddress::parse(raw)));
    Some(Device {
        id: id?,
        extension: extension?,
        kind: kind?,
        label,
        model,
        mac_address,
    })
}

/// Checks a user's whole device list: each device, the cap, and that no two share an
/// extension or MAC address (the tenant-wide check is the database's).
pub(crate) fn check_devices(drafts: &[DeviceDraft], r: &mut Report) -> Vec<Device> {
    if drafts.len() > DEVICES_PER_USER {
        r.add(
            "devices",
            format!(
                "a user may have at most {DEVICES_PER_USER} devices ({} given)",
                drafts.len()
            ),
        );
        return Vec::new();
    }
    let mut devices: Vec<Device> = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let Some(device) = check_device(draft, &format!("devices[{i}]."), r) else {
            continue;
        };
        if let Some(j) = devices.iter().position(|d| d.extension == device.extension) {
            r.add(
                format!("devices[{i}].extension"),
                format!("is the extension of devices[{j}] too"),
            );
        }
        if device.mac_address.is_some()
            && let Some(j) = devices
                .iter()
                .position(|d| d.mac_address == device.mac_address)
        {
            r.add(
                format!("devices[{i}].mac_address"),
                format!("is the MAC address of devices[{j}] too"),
            );
        }
        if let Some(j) = devices.iter().position(|d| d.id == device.id) {
            r.add(
                format!("devices[{i}].id"),
                format!("is the id of devices[{j}] too"),
            );
        }
        devices.push(device);
    }
    devices
}

/// One device on its own (the device routes): every problem, fields named without a prefix.
pub fn validate_device(draft: &DeviceDraft) -> Result<Device, ValidationErrors> {
    let mut r = Report::default();
    let device = check_device(draft, "", &mut r);
    r.finish(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(extension: &str, mac: Option<&str>) -> DeviceDraft {
        DeviceDraft {
            extension: Some(extension.into()),
            mac_address: mac.map(Into::into),
            ..DeviceDraft::default()
        }
    }

    #[test]
    fn mac_addresses_are_normalised_however_typed() {
        for raw in [
            "00:1A:2B:3C:4D:5E",
            "00-1a-2b-3c-4d-5e",
            "001a.2b3c.4d5e",
            "001A2B3C4D5E",
        ] {
            assert_eq!(
                MacAddress::parse(raw).unwrap().as_str(),
                "00:1a:2b:3c:4d:5e"
            );
        }
        assert!(MacAddress::parse("00:1A:2B:3C:4D").is_err());
        assert!(MacAddress::parse("zz:1A:2B:3C:4D:5E").is_err());
    }

    #[test]
    fn extensions_are_two_to_ten_digits() {
        assert!(validate_device(&draft("12", None)).is_ok());
        assert!(validate_device(&draft("1234567890", None)).is_ok());
        for bad in ["1", "12345678901", "12a", "*12"] {
            let e = validate_device(&draft(bad, None)).unwrap_err();
            assert!(e.mentions("extension"), "{bad}: {e}");
        }
        let e = validate_device(&DeviceDraft::default()).unwrap_err();
        assert!(e.mentions("extension"));
    }

    #[test]
    fn a_device_defaults_to_a_desk_phone_and_gets_an_id() {
        let d = validate_device(&draft("201", Some("00:1a:2b:3c:4d:5e"))).unwrap();
        assert_eq!(d.kind, DeviceKind::DeskPhone);
        assert!(!d.id.as_str().is_empty());
        let e = validate_device(&DeviceDraft {
            kind: Some("fax".into()),
            ..draft("201", None)
        })
        .unwrap_err();
        assert!(e.mentions("kind"));
    }

    #[test]
    fn one_user_cannot_list_an_extension_or_mac_twice() {
        let mut r = Report::default();
        check_devices(
            &[
                draft("201", Some("00:1a:2b:3c:4d:5e")),
                draft("201", Some("00-1A-2B-3C-4D-5E")),
            ],
            &mut r,
        );
        let e = r.finish(Some(())).unwrap_err();
        assert!(e.mentions("devices[1].extension") && e.mentions("devices[1].mac_address"));
        let mut r = Report::default();
        check_devices(&vec![draft("201", None); DEVICES_PER_USER + 1], &mut r);
        assert!(r.finish(Some(())).unwrap_err().mentions("devices"));
    }
}
