//! What the server says about itself (RFC 7643 §5–§7, RFC 7644 §4): the service provider
//! configuration, the resource types and the schemas of exactly the attributes Roster stores.
//! An attribute not listed here is ignored on write and never returned, so a client that
//! discovers the schema knows what will round-trip.

use serde_json::{Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Most results one list response carries (`count` above it is lowered to it).
pub const MAX_RESULTS: usize = 200;

/// The `ServiceProviderConfig` document.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/roster/roster/blob/main/docs/scim.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A tenant SCIM token from POST /v1/scim/tokens, sent as Authorization: Bearer <token>",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig")
        }
    })
}

/// The `ResourceType` documents.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A person or system account of the organisation",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")}
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A group of the organisation's users",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")}
        }),
    ]
}

/// One attribute definition.
struct Attr {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    mutability: &'static str,
    uniqueness: &'static str,
    description: &'static str,
    canonical: &'static [&'static str],
    references: &'static [&'static str],
    sub: Vec<Attr>,
}

impl Attr {
    fn new(name: &'static str, kind: &'static str, description: &'static str) -> Self {
        Self {
            name,
            kind,
            multi: false,
            required: false,
            mutability: "readWrite",
            uniqueness: "none",
            description,
            canonical: &[],
            references: &[],
            sub: vec![],
        }
    }

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn multi(mut self) -> Self {
        self.multi = true;
        self
    }

    fn mutability(mut self, m: &'static str) -> Self {
        self.mutability = m;
        self
    }

    fn unique(mut self) -> Self {
        self.uniqueness = "server";
        self
    }

    fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical = values;
        self
    }

    fn references(mut self, types: &'static [&'static str]) -> Self {
        self.references = types;
        self
    }

    fn sub(mut self, sub: Vec<Attr>) -> Self {
        self.sub = sub;
        self
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "caseExact": false,
            "mutability": self.mutability,
            "returned": "default",
            "uniqueness": self.uniqueness,
        });
        if !self.canonical.is_empty() {
            v["canonicalValues"] = json!(self.canonical);
        }
        if !self.references.is_empty() {
            v["referenceTypes"] = json!(self.references);
        }
        if !self.sub.is_empty() {
            v["subAttributes"] = Value::Array(self.sub.iter().map(Attr::to_json).collect());
        }
        v
    }
}

fn schema(id: &str, name: &str, description: &str, attributes: &[Attr], base: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.iter().map(Attr::to_json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")}
    })
}

fn user_attributes() -> Vec<Attr> {
    vec![
        Attr::new(
            "userName",
            "string",
            "The login: 3-24 letters, digits and dots (or an e-mail address where the tenant allows it); unique without case",
        )
        .required()
        .unique(),
        Attr::new("name", "complex", "The user's name; both parts are required")
            .required()
            .sub(vec![
                Attr::new("givenName", "string", "First name").required(),
                Attr::new("familyName", "string", "Last name").required(),
            ]),
        Attr::new("displayName", "string", "The name the identity provider shows"),
        Attr::new(
            "active",
            "boolean",
            "Every user has a status: false disables (access denied, history kept), true enables; left out of a create: true",
        )
        .required(),
        Attr::new(
            "emails",
            "complex",
            "The user's e-mail address (one is kept: the primary, else the last sent); unique without case. A user without a mobile number needs one",
        )
        .multi()
        .required()
        .sub(vec![
            Attr::new("value", "string", "The address").required(),
            Attr::new("type", "string", "Kind of address (read back as work)").canonical(&["work"]),
        ]),
        Attr::new(
            "phoneNumbers",
            "complex",
            "Mobile (texts go here) and work numbers; numbers without a country code take the tenant's country",
        )
        .multi()
        .sub(vec![
            Attr::new("value", "string", "The number, E.164 on read").required(),
            Attr::new(
                "type",
                "string",
                "mobile (texts go here; also a number without a type) or work",
            )
            .canonical(&["mobile"]),
        ]),
        Attr::new(
            "groups",
            "complex",
            "Groups the user belongs to (written through /Groups)",
        )
        .multi()
        .mutability("readOnly")
        .sub(vec![
            Attr::new("value", "string", "The group's id").mutability("readOnly"),
            Attr::new("$ref", "reference", "The group's URI")
                .mutability("readOnly")
                .references(&["Group"]),
        ]),
    ]
}

fn enterprise_attributes() -> Vec<Attr> {
    vec![
        Attr::new(
            "employeeNumber",
            "string",
            "The organisation's number for the user",
        ),
        Attr::new(
            "department",
            "string",
            "The department's name (created when the tenant allows it)",
        ),
    ]
}

fn group_attributes() -> Vec<Attr> {
    vec![
        Attr::new(
            "displayName",
            "string",
            "The group's name; unique without case",
        )
        .required()
        .unique(),
        Attr::new("members", "complex", "The group's users")
            .multi()
            .sub(vec![
                Attr::new("value", "string", "The user's id")
                    .mutability("immutable")
                    .required(),
                Attr::new("$ref", "reference", "The user's URI")
                    .mutability("immutable")
                    .references(&["User"]),
                Attr::new("type", "string", "Always User")
                    .mutability("immutable")
                    .canonical(&["User"]),
            ]),
    ]
}

/// The `Schema` documents.
pub fn schemas(base: &str) -> Vec<Value> {
    vec![
        schema(
            USER_SCHEMA,
            "User",
            "User Account",
            &user_attributes(),
            base,
        ),
        schema(
            ENTERPRISE_USER,
            "EnterpriseUser",
            "Enterprise User",
            &enterprise_attributes(),
            base,
        ),
        schema(GROUP_SCHEMA, "Group", "Group", &group_attributes(), base),
    ]
}

/// A `ListResponse` of `resources`.
pub fn list_response(total: usize, start_index: usize, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_served_with_its_resource_types() {
        let base = "https://api.example/scim/v2";
        let ids: Vec<_> = schemas(base)
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        for rt in resource_types(base) {
            assert!(ids.contains(&rt["schema"].as_str().unwrap().to_owned()));
            for ext in rt["schemaExtensions"].as_array().into_iter().flatten() {
                assert!(ids.contains(&ext["schema"].as_str().unwrap().to_owned()));
            }
        }
        assert_eq!(service_provider_config(base)["etag"]["supported"], true);
    }
}
