//! The caller, from the JWT claims API Gateway's authorizer verified and put in the request
//! context. Nothing else (path, query, body) can name the tenant.

use std::collections::{BTreeSet, HashMap};

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use roster_domain::caller::{Caller, CallerRole};
use roster_domain::error::AppError;

use crate::error::HttpError;
use roster_domain::ids::{Actor, DepartmentId, TenantId};

fn unauthorized(why: &str) -> HttpError {
    HttpError::Unauthorized(why.to_owned())
}

/// A list claim as API Gateway flattens it: `[admin analyst]`, or `["admin","analyst"]`, or
/// `admin,analyst`.
fn list_claim(raw: &str) -> Vec<String> {
    let trimmed = raw.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(trimmed) {
        return list;
    }
    trimmed
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split([' ', ','])
        .map(|s| s.trim().trim_matches('"'))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Builds the caller from claims; 401 when the token carries no usable identity, 403 when it
/// carries no role this API knows.
pub fn caller_from_claims(claims: &HashMap<String, String>) -> Result<Caller, HttpError> {
    let sub = claims
        .get("sub")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| unauthorized("the token has no subject"))?;
    let tenant = claims
        .get("custom:tenant_id")
        .ok_or_else(|| unauthorized("the token names no tenant"))?;
    let tenant =
        TenantId::parse(tenant).map_err(|_| unauthorized("the token's tenant is malformed"))?;
    let roles: BTreeSet<CallerRole> = claims
        .get("cognito:groups")
        .map(|g| list_claim(g))
        .unwrap_or_default()
        .iter()
        .filter_map(|r| CallerRole::parse(r))
        .collect();
    if roles.is_empty() {
        return Err(HttpError::App(AppError::Forbidden(
            "your account has no admin, manager or analyst role".into(),
        )));
    }
    let departments = claims
        .get("custom:department_ids")
        .map(|d| list_claim(d))
        .unwrap_or_default()
        .iter()
        .filter_map(|d| DepartmentId::parse(d).ok())
        .collect();
    let name = ["name", "email"]
        .iter()
        .filter_map(|claim| claims.get(*claim))
        .map(|value| value.trim())
        .find(|value| !value.is_empty() && !value.chars().any(char::is_control))
        .unwrap_or(sub.trim());
    Ok(Caller {
        actor: Actor::new(sub.trim()),
        name: name.chars().take(200).collect(),
        tenant,
        roles,
        departments,
    })
}

/// The caller of an admin request.
pub fn caller(request: &Request) -> Result<Caller, HttpError> {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.authorizer.as_ref().and_then(|a| {
            match &a.jwt {
                Some(jwt) => Some(jwt.claims.clone()),
                // A Lambda authorizer's context (the SCIM token authorizer hands over the same
                // claim names); like JWT claims, only API Gateway can put it there.
                None if !a.fields.is_empty() => Some(
                    a.fields
                        .iter()
                        .map(|(k, v)| {
                            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                            (k.clone(), v)
                        })
                        .collect(),
                ),
                None => None,
            }
        }),
        _ => None,
    };
    let claims = claims.ok_or_else(|| unauthorized("a bearer token is required"))?;
    caller_from_claims(&claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn groups_in_every_shape_api_gateway_sends() {
        for groups in [
            "[admin analyst]",
            r#"["admin","analyst"]"#,
            "admin,analyst",
            "admin analyst",
        ] {
            let c = caller_from_claims(&claims(&[
                ("sub", "u1"),
                ("custom:tenant_id", "acme"),
                ("cognito:groups", groups),
            ]))
            .unwrap();
            assert!(
                c.has(CallerRole::Admin) && c.has(CallerRole::Analyst),
                "{groups}"
            );
        }
    }

    #[test]
    fn missing_identity_is_401_and_missing_role_403() {
        let no_tenant =
            caller_from_claims(&claims(&[("sub", "u1"), ("cognito:groups", "[admin]")]));
        assert!(matches!(no_tenant, Err(HttpError::Unauthorized(_))));
        let bad_tenant = caller_from_claims(&claims(&[
            ("sub", "u1"),
            ("custom:tenant_id", "a#b"),
            ("cognito:groups", "[admin]"),
        ]));
        assert!(matches!(bad_tenant, Err(HttpError::Unauthorized(_))));
        let no_role = caller_from_claims(&claims(&[
            ("sub", "u1"),
            ("custom:tenant_id", "acme"),
            ("cognito:groups", "[superhero]"),
        ]));
        assert!(matches!(
            no_role,
            Err(HttpError::App(AppError::Forbidden(_)))
        ));
    }

    #[test]
    fn the_display_name_is_name_else_email_else_sub() {
        let base = [
            ("sub", "u1"),
            ("custom:tenant_id", "acme"),
            ("cognito:groups", "[admin]"),
        ];
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            caller_from_claims(&claims(&pairs)).unwrap().name
        };
        assert_eq!(
            with(&[("name", "Ann Lee"), ("email", "ann@x.com")]),
            "Ann Lee"
        );
        assert_eq!(with(&[("name", " "), ("email", "ann@x.com")]), "ann@x.com");
        assert_eq!(with(&[]), "u1");
    }

    #[test]
    fn manager_departments_come_from_the_claim() {
        let c = caller_from_claims(&claims(&[
            ("sub", "m1"),
            ("custom:tenant_id", "acme"),
            ("cognito:groups", "[manager]"),
            ("custom:department_ids", "[sales support]"),
        ]))
        .unwrap();
        assert_eq!(c.departments.len(), 2);
        assert!(c.can_write(Some(&DepartmentId::parse("sales").unwrap())));
        assert!(!c.can_write(Some(&DepartmentId::parse("ops").unwrap())));
        assert!(
            !c.can_write(None),
            "users without a department are for admins"
        );
    }
}
