//! A device activates its user with login + code (automatic) or login + IMEI (manual).
//!
//! The endpoint is public, so it must not tell an attacker anything: an unknown login, a
//! disabled user, a wrong, used or expired code all get the same failure, after the same
//! (argon2) amount of work.

use std::sync::OnceLock;

use super::MAX_ATTEMPTS;
use crate::enums::{ActivationMethod, UserStatus};
use crate::ids::{Actor, TenantId};
use crate::password::{Password, PasswordHash};
use crate::store::{ActivationCodeStore, FindUser, StoreError, UpdateUser};
use crate::user::User;
use crate::validation::{ValidationErrors, check_imei};

/// What the device proves.
#[derive(Debug, Clone)]
pub enum Proof {
    Code(String),
    Imei(String),
}

#[derive(Debug, Clone)]
pub struct ActivationAttempt {
    pub tenant_id: String,
    pub login: String,
    pub proof: Proof,
}

#[derive(Debug, thiserror::Error)]
pub enum ActivationFailure {
    /// The same answer for every wrong combination; `attempts_left` for the code.
    #[error("the login or the code is not valid")]
    Invalid { attempts_left: u8 },
    #[error("{0}")]
    BadRequest(ValidationErrors),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

/// A hash to verify against when there is no real one, so failures take the same time.
fn decoy() -> &'static PasswordHash {
    static DECOY: OnceLock<PasswordHash> = OnceLock::new();
    DECOY.get_or_init(|| {
        PasswordHash::hash(&Password::new("decoy-activation-code".into())).expect("argon2 works")
    })
}

fn invalid(attempts_left: u8) -> ActivationFailure {
    ActivationFailure::Invalid { attempts_left }
}

/// Constant-time equality for the IMEI (the same length is public: 13 or 15 digits).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Tries before giving up on a user whose record keeps changing under the activation.
const TRUST_ATTEMPTS: usize = 3;

/// Marks the user trusted. The proof is already spent (a code is consumed), so a record that
/// changed meanwhile (the sender recording its outcome is a new version) is read again and
/// trusted, not failed.
async fn trust<S: FindUser + UpdateUser>(
    store: &S,
    mut user: User,
) -> Result<User, ActivationFailure> {
    for _ in 0..TRUST_ATTEMPTS {
        let mut next = user.clone().touched(&Actor::new("device-activation"));
        next.trusted = true;
        match store.update_user(&user, &next).await {
            Ok(()) => return Ok(next),
            Err(StoreError::VersionMismatch) => {
                let login = user.profile.login.as_str().to_owned();
                user = store
                    .find_by_login(&user.tenant_id, &login)
                    .await?
                    .filter(|u| u.id == user.id && u.status == UserStatus::Active)
                    .ok_or_else(|| invalid(0))?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::VersionMismatch.into())
}

pub async fn activate_device<S>(
    store: &S,
    attempt: ActivationAttempt,
) -> Result<User, ActivationFailure>
where
    S: FindUser + UpdateUser + ActivationCodeStore,
{
    let tenant = TenantId::parse(attempt.tenant_id.trim())
        .map_err(|e| ActivationFailure::BadRequest(ValidationErrors::single("tenant_id", e.0)))?;
    let user = store.find_by_login(&tenant, &attempt.login).await?;
    let user = user.filter(|u| u.status == UserStatus::Active);
    match attempt.proof {
        Proof::Imei(raw) => {
            let imei = check_imei(&raw)
                .map_err(|m| ActivationFailure::BadRequest(ValidationErrors::single("imei", m)))?;
            // Equal work on every path: one argon2 verification.
            decoy().verify(&Password::new(raw.clone()));
            match user {
                Some(u)
                    if u.profile.activation_method == ActivationMethod::Manual
                        && u.profile
                            .imei
                            .as_ref()
                            .is_some_and(|i| same(i.as_str(), imei.as_str())) =>
                {
                    trust(store, u).await
                }
                _ => {
                    let failed = store.record_failed_login(&tenant, &attempt.login).await?;
                    Err(invalid(MAX_ATTEMPTS.saturating_sub(failed)))
                }
            }
        }
        Proof::Code(code) => {
            let code = code.trim().to_owned();
            let stored = match &user {
                Some(u) => store.get_code(&tenant, &u.id).await?,
                None => None,
            };
            let (Some(user), Some(stored)) = (user, stored) else {
                // No user, or no live code: the same work and the same countdown as a wrong code.
                decoy().verify(&Password::new(code));
                let failed = store.record_failed_login(&tenant, &attempt.login).await?;
                return Err(invalid(MAX_ATTEMPTS.saturating_sub(failed)));
            };
            if stored.failed_attempts >= MAX_ATTEMPTS {
                decoy().verify(&Password::new(code));
                return Err(invalid(0));
            }
            let hash: PasswordHash =
                serde_json::from_value(serde_json::Value::String(stored.code_hash.clone()))
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            if !hash.verify(&Password::new(code)) {
                let failed = store.record_failed_attempt(&tenant, &user.id).await?;
                return Err(invalid(MAX_ATTEMPTS.saturating_sub(failed)));
            }
            // Single use: only the request that deletes the code activates.
            if !store.consume_code(&tenant, &user.id).await? {
                return Err(invalid(0));
            }
            trust(store, user).await
        }
    }
}
