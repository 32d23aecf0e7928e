//! A group as SCIM shows it (`displayName` is the name, `members` its users) and a SCIM group
//! body in the group's terms. Members are users only: a nested group is refused by name.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

use super::error::ScimError;
use super::eval::get_ci;
use super::schema::GROUP_SCHEMA;
use crate::directory::group::Group;
use crate::ids::UserId;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScimGroup {
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    /// `None`: the body says nothing of members.
    pub members: Option<BTreeSet<UserId>>,
}

/// Reads a SCIM group body (POST or PUT, or a resource after PATCH operations).
pub fn read_group(body: &Map<String, Value>) -> Result<ScimGroup, ScimError> {
    let display_name = match get_ci(body, "displayName") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ScimError::invalid_value("displayName: must be a string")),
    };
    let external_id = match get_ci(body, "externalId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= super::user::MAX_PROVIDER_TEXT => {
            Some(s.clone())
        }
        Some(_) => {
            return Err(ScimError::invalid_value(
                "externalId: must be a string of at most 256 characters",
            ));
        }
    };
    let members = match get_ci(body, "members") {
        None => None,
        Some(Value::Null) => Some(BTreeSet::new()),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, m)| member_id(i, m))
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(ScimError::invalid_value("members: must be a list")),
    };
    Ok(ScimGroup {
        display_name,
        external_id,
        members,
    })
}

fn member_id(index: usize, member: &Value) -> Result<UserId, ScimError> {
    let object = member.as_object();
    if object
        .and_then(|o| get_ci(o, "type"))
        .and_then(Value::as_str)
        .is_some_and(|t| !t.eq_ignore_ascii_case("user"))
    {
        return Err(ScimError::invalid_value(format!(
            "members[{index}]: only users can be members (groups do not nest)"
        )));
    }
    let value = object
        .and_then(|o| get_ci(o, "value"))
        .or(member.is_string().then_some(member))
        .and_then(Value::as_str)
        .ok_or_else(|| ScimError::invalid_value(format!("members[{index}].value is missing")))?;
    UserId::parse(value.trim()).map_err(|_| {
        ScimError::invalid_value(format!(
            "members[{index}].value: '{}' is not a user id",
            value.chars().take(40).collect::<String>()
        ))
    })
}

/// `meta.version` and the ETag of a group: its last change, to the millisecond.
pub fn group_version(group: &Group) -> String {
    format!(
        "W/\"{}\"",
        group.updated.at.unix_timestamp_nanos() / 1_000_000
    )
}

/// The group as a SCIM resource; `members` is left out when not read.
pub fn group_resource(group: &Group, members: Option<&[UserId]>, base: &str) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("schemas".into(), json!([GROUP_SCHEMA]));
    r.insert("id".into(), json!(group.id.as_str()));
    if let Some(x) = &group.external_id {
        r.insert("externalId".into(), json!(x));
    }
    r.insert("displayName".into(), json!(group.name));
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        let members: Vec<Value> = members
            .iter()
            .map(|id| json!({"value": id.to_string(), "$ref": format!("{base}/Users/{id}"), "type": "User"}))
            .collect();
        r.insert("members".into(), Value::Array(members));
    }
    r.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": group.created.at.format(&Rfc3339).unwrap_or_default(),
            "lastModified": group.updated.at.format(&Rfc3339).unwrap_or_default(),
            "location": format!("{base}/Groups/{}", group.id),
            "version": group_version(group),
        }),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_user_ids_and_groups_do_not_nest() {
        let id = UserId::generate();
        let g = read_group(
            json!({"displayName": "Night", "members": [{"value": id.to_string(), "type": "User"}]})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(g.members.unwrap().into_iter().collect::<Vec<_>>(), vec![id]);
        let e = read_group(
            json!({"members": [{"value": "x", "type": "Group"}]})
                .as_object()
                .unwrap(),
        )
        .unwrap_err();
        assert!(e.detail.contains("do not nest"), "{}", e.detail);
        let e =
            read_group(json!({"members": [{"value": "nope"}]}).as_object().unwrap()).unwrap_err();
        assert!(e.detail.starts_with("members[0].value"), "{}", e.detail);
    }
}
