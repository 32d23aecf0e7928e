//! Tenant SCIM tokens: the long-lived bearer secret an identity provider is configured with
//! (Okta and Entra ID provision with a static token, not a user sign-in). The token text is
//! `scim.{tenant}.{token id}.{secret}`: the tenant and id say which record to read (one
//! `GetItem`, no scan, no index), and only the SHA-256 of the 256-bit secret is stored, so a
//! copy of the table cannot be replayed. SHA-256 rather than argon2: the secret is random, not
//! a password a person chose, and is checked on every provisioning request.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::caller::{Caller, CallerRole};
use crate::error::AppError;
use crate::ids::{Actor, ScimTokenId, TenantId};
use crate::store::StoreResult;
use crate::user::Stamp;

const PREFIX: &str = "scim.";
/// A tenant keeps at most this many tokens (one per identity provider connection, and one
/// more while rotating).
pub const MAX_TOKENS: usize = 10;

/// A stored token: who made it and the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimToken {
    pub id: ScimTokenId,
    pub tenant_id: TenantId,
    /// What the admin called it ("Okta production").
    pub name: String,
    pub secret_sha256: String,
    pub created: Stamp,
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 256 random bits from the OS CSPRNG, hex.
fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new token and its text, which is shown once and never stored.
pub fn issue(tenant: &TenantId, name: &str, by: &Actor) -> (ScimToken, String) {
    let id = ScimTokenId::generate();
    let secret = new_secret();
    let text = format!("{PREFIX}{tenant}.{id}.{secret}");
    let token = ScimToken {
        id,
        tenant_id: tenant.clone(),
        name: name.to_owned(),
        secret_sha256: hex_sha256(&secret),
        created: Stamp::now(by),
    };
    (token, text)
}

/// The parts of a presented token text: which record to read, and the secret to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub tenant: TenantId,
    pub id: ScimTokenId,
    secret: String,
}

/// `None` for text that is not a SCIM token (a JWT, garbage).
pub fn parse(text: &str) -> Option<Presented> {
    let rest = text.trim().strip_prefix(PREFIX)?;
    let mut parts = rest.rsplitn(3, '.');
    let secret = parts.next()?;
    let id = parts.next()?;
    let tenant = parts.next()?;
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(Presented {
        tenant: TenantId::parse(tenant).ok()?,
        id: ScimTokenId::parse(id).ok()?,
        secret: secret.to_owned(),
    })
}

impl ScimToken {
    /// Whether `presented` is this token (constant time in the hash comparison).
    pub fn admits(&self, presented: &Presented) -> bool {
        let a = hex_sha256(&presented.secret);
        let b = &self.secret_sha256;
        presented.tenant == self.tenant_id
            && presented.id == self.id
            && a.len() == b.len()
            && a.bytes()
                .zip(b.bytes())
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0
    }

    /// The caller a request with this token acts as: an admin of the token's tenant, named
    /// after the token in audit stamps (`scim-token:{id}`).
    pub fn caller(&self) -> Caller {
        Caller {
            actor: Actor::new(format!("scim-token:{}", self.id)),
            name: self.name.clone(),
            tenant: self.tenant_id.clone(),
            roles: BTreeSet::from([CallerRole::Admin]),
            departments: BTreeSet::new(),
        }
    }
}

/// Where tokens are kept.
pub trait ScimTokenStore {
    /// `AlreadyExists` for a taken id.
    fn create_token(&self, token: &ScimToken) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_token(
        &self,
        tenant: &TenantId,
        id: &ScimTokenId,
    ) -> impl Future<Output = StoreResult<Option<ScimToken>>> + Send;
    fn list_tokens(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Vec<ScimToken>>> + Send;
    /// `NotFound` when there is no such token.
    fn delete_token(
        &self,
        tenant: &TenantId,
        id: &ScimTokenId,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Why a presented token was refused (the words stay in the log; clients get a plain 401).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("not a SCIM token")]
    Malformed,
    #[error("no such token (revoked or never issued)")]
    Unknown,
    #[error("the secret does not match")]
    WrongSecret,
    #[error("the token store failed: {0}")]
    Store(String),
}

/// The caller a bearer token text stands for.
pub async fn authenticate<S: ScimTokenStore>(store: &S, text: &str) -> Result<Caller, Refused> {
    let presented = parse(text).ok_or(Refused::Malformed)?;
    let token = store
        .get_token(&presented.tenant, &presented.id)
        .await
        .map_err(|e| Refused::Store(e.to_string()))?
        .ok_or(Refused::Unknown)?;
    if token.admits(&presented) {
        Ok(token.caller())
    } else {
        Err(Refused::WrongSecret)
    }
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::bad_field(
            "name",
            "must be 1-100 characters without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// `POST /v1/scim/tokens`: admins only; returns the token and its text (shown once).
pub async fn create_token<S: ScimTokenStore>(
    store: &S,
    caller: &Caller,
    name: &str,
) -> Result<(ScimToken, String), AppError> {
    require_admin(caller)?;
    let name = check_name(name)?;
    if store.list_tokens(&caller.tenant).await?.len() >= MAX_TOKENS {
        return Err(AppError::Conflict {
            message: format!(
                "a tenant keeps at most {MAX_TOKENS} SCIM tokens: revoke one you no longer use"
            ),
            fields: vec![],
        });
    }
    let (token, text) = issue(&caller.tenant, &name, &caller.actor);
    store.create_token(&token).await?;
    Ok((token, text))
}

pub async fn list_tokens<S: ScimTokenStore>(
    store: &S,
    caller: &Caller,
) -> Result<Vec<ScimToken>, AppError> {
    require_admin(caller)?;
    let mut tokens = store.list_tokens(&caller.tenant).await?;
    tokens.sort_by_key(|t| t.id);
    Ok(tokens)
}

/// `DELETE /v1/scim/tokens/{id}`: the token stops working at once.
pub async fn revoke_token<S: ScimTokenStore>(
    store: &S,
    caller: &Caller,
    id: &ScimTokenId,
) -> Result<(), AppError> {
    require_admin(caller)?;
    store
        .delete_token(&caller.tenant, id)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => AppError::NotFound("SCIM token"),
            other => other.into(),
        })
}

fn require_admin(caller: &Caller) -> Result<(), AppError> {
    if caller.has(CallerRole::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only an admin may manage SCIM tokens".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_admits_its_own_text_only() {
        let tenant = TenantId::parse("acme-eu").unwrap();
        let (token, text) = issue(&tenant, "Okta", &Actor::new("admin"));
        let presented = parse(&text).unwrap();
        assert_eq!(presented.tenant, tenant);
        assert!(token.admits(&presented));
        assert!(!text.contains(&token.secret_sha256));
        let mut wrong = text.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(!token.admits(&parse(&wrong).unwrap()));
        let other = TenantId::parse("globex").unwrap();
        let forged = text.replacen("acme-eu", "globex", 1);
        let forged = parse(&forged).unwrap();
        assert_eq!(forged.tenant, other);
        assert!(
            !token.admits(&forged),
            "a token never admits another tenant"
        );
        for junk in [
            "",
            "scim.",
            "Bearer x",
            "eyJhbGciOi.x.y",
            "scim.acme.01ABC.short",
        ] {
            assert!(parse(junk).is_none(), "{junk}");
        }
        let caller = token.caller();
        assert!(caller.has(CallerRole::Admin));
        assert_eq!(caller.tenant, tenant);
    }
}
