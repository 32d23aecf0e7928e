//! A device activates its user with login + code (automatic) or login + IMEI (manual).
//!
//! The endpoint is public, so it must not tell an attacker anything: an unknown login, a
//! disabled user, a wrong, used or expired code all get the same failure, after the same
//! reads and the same (argon2) amount of work. Guessing is bounded three ways: a code dies
//! after five wrong tries, a login after five failures in an hour (an IMEI cannot be guessed
//! either), and a source address after [`MAX_SOURCE_FAILURES`] failures in an hour, whatever
//! logins and tenants it sprays.

use std::sync::OnceLock;

use super::MAX_ATTEMPTS;
use crate::enums::{ActivationMethod, UserStatus};
use crate::ids::{Actor, TenantId, UserId};
use crate::password::{Password, PasswordHash};
use crate::store::{
    ActivationCodeStore, ActivationFailures, ActivationLimits, FindUser, GetUser, StoreError,
    TrustUser,
};
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
    /// The caller's address, as the gateway saw it.
    pub source: String,
}

/// Failed activations one address may make in an hour, across every login and tenant: far
/// above what a site activating its devices gets wrong, far below what guessing needs.
pub const MAX_SOURCE_FAILURES: u32 = 50;

#[derive(Debug, thiserror::Error)]
pub enum ActivationFailure {
    /// The same answer for every wrong combination; `attempts_left` for the code.
    #[error("the login or the code is not valid")]
    Invalid { attempts_left: u8 },
    /// Too many failures this hour, of this login or from this address.
    #[error("too many failed activations: try again later")]
    Locked,
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
async fn trust<S: FindUser + TrustUser>(
    store: &S,
    mut user: User,
) -> Result<User, ActivationFailure> {
    for _ in 0..TRUST_ATTEMPTS {
        let mut next = user.clone().touched(&Actor::new("device-activation"));
        next.trusted = true;
        match store.mark_trusted(&user, &next).await {
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

/// Reads nothing real: it stands in for a user or a code that does not exist, so that every
/// login costs the same reads.
fn decoy_user() -> UserId {
    UserId::parse("00000000000000000000000000").expect("the nil ULID is a valid id")
}

pub async fn activate_device<S>(
    store: &S,
    attempt: ActivationAttempt,
) -> Result<User, ActivationFailure>
where
    S: FindUser + GetUser + TrustUser + ActivationCodeStore + ActivationLimits,
{
    let tenant = TenantId::parse(attempt.tenant_id.trim())
        .map_err(|e| ActivationFailure::BadRequest(ValidationErrors::single("tenant_id", e.0)))?;
    let imei = match &attempt.proof {
        Proof::Imei(raw) => Some(
            check_imei(raw)
                .map_err(|m| ActivationFailure::BadRequest(ValidationErrors::single("imei", m)))?,
        ),
        Proof::Code(_) => None,
    };
    let login = attempt.login.trim().to_lowercase();
    let source = attempt.source.as_str();
    // The same reads for every login: the counts, the user (or a decoy), its code (or a decoy's).
    let counts = store.failures(&tenant, &login, source).await?;
    let user = store.find_by_login(&tenant, &login).await?;
    if user.is_none() {
        store.get_user(&tenant, &decoy_user()).await?;
    }
    let user = user.filter(|u| u.status == UserStatus::Active);
    let stored = store
        .get_code(&tenant, &user.as_ref().map_or_else(decoy_user, |u| u.id))
        .await?;
    let typed = match &attempt.proof {
        Proof::Code(code) => code.trim().to_owned(),
        Proof::Imei(raw) => raw.clone(),
    };
    if locked(counts) {
        decoy().verify(&Password::new(typed));
        return Err(ActivationFailure::Locked);
    }
    let (tenant_ref, login_ref) = (&tenant, login.as_str());
    let fail = |count_login: bool| async move {
        let counts = store
            .count_failure(tenant_ref, login_ref, source, count_login)
            .await?;
        Ok::<_, ActivationFailure>(counts)
    };
    match imei {
        Some(imei) => {
            // Equal work on every path: one argon2 verification.
            decoy().verify(&Password::new(typed));
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
                    let counts = fail(true).await?;
                    Err(invalid(left(counts.login)))
                }
            }
        }
        None => {
            let (Some(user), Some(stored)) = (user, stored) else {
                // No user, or no live code: the same work and the same countdown as a wrong code.
                decoy().verify(&Password::new(typed));
                let counts = fail(true).await?;
                return Err(invalid(left(counts.login)));
            };
            if stored.failed_attempts >= MAX_ATTEMPTS {
                // A dead code answers as a locked login does: neither tells which it is.
                decoy().verify(&Password::new(typed));
                fail(false).await?;
                return Err(ActivationFailure::Locked);
            }
            let hash = PasswordHash::from_phc(stored.code_hash.clone());
            if !hash.verify(&Password::new(typed)) {
                let failed = store.record_failed_attempt(&tenant, &user.id).await?;
                fail(false).await?;
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

fn locked(counts: ActivationFailures) -> bool {
    counts.login >= u32::from(MAX_ATTEMPTS) || counts.source >= MAX_SOURCE_FAILURES
}

fn left(login_failures: u32) -> u8 {
    u32::from(MAX_ATTEMPTS).saturating_sub(login_failures) as u8
}
