//! Passwords: policy checks, generation, and argon2id hashing.
//!
//! A plaintext password only ever lives in a [`Password`], whose `Debug` is redacted, so it
//! cannot reach a log line by accident; storage only sees a [`PasswordHash`].

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use rand::rngs::OsRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::tenant::PasswordPolicy;

/// A plaintext password on its way to being hashed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// For showing a generated password once to the admin who asked for it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A PHC-format argon2id hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// OWASP's argon2id baseline (19 MiB, 2 passes): strong, yet fine inside a 128 MB Lambda.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHash {
    pub fn hash(password: &Password) -> Result<Self, HashError> {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.0.as_bytes(), &salt)
            .map(|h| Self(h.to_string()))
            .map_err(|e| HashError(e.to_string()))
    }

    pub fn verify(&self, password: &Password) -> bool {
        argon2::PasswordHash::new(&self.0)
            .map(|parsed| {
                hasher()
                    .verify_password(password.0.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }

    /// A hash read back from storage.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!#$%*+-=?@_";

/// Every way `password` falls short of `policy`, in words; empty when it complies.
pub fn policy_violations(policy: &PasswordPolicy, password: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let length = password.chars().count();
    if length < usize::from(policy.min_length) {
        problems.push(format!(
            "must be at least {} characters long",
            policy.min_length
        ));
    }
    if length > 128 {
        problems.push("must be at most 128 characters long".to_owned());
    }
    if policy.require_uppercase && !password.chars().any(char::is_uppercase) {
        problems.push("must contain an upper-case letter".to_owned());
    }
    if policy.require_lowercase && !password.chars().any(char::is_lowercase) {
        problems.push("must contain a lower-case letter".to_owned());
    }
    if policy.require_digit && !password.chars().any(|c| c.is_ascii_digit()) {
        problems.push("must contain a digit".to_owned());
    }
    if policy.require_symbol && !password.chars().any(|c| !c.is_alphanumeric()) {
        problems.push("must contain a symbol".to_owned());
    }
    problems
}

/// A random password that meets `policy` (at least 16 characters, unambiguous alphabet).
pub fn generate(policy: &PasswordPolicy) -> Password {
    let mut rng = OsRng;
    let length = usize::from(policy.min_length).max(16);
    let mut alphabet: Vec<u8> = [UPPER, LOWER, DIGITS].concat();
    let mut chars: Vec<u8> = vec![
        UPPER[rng.gen_range(0..UPPER.len())],
        LOWER[rng.gen_range(0..LOWER.len())],
        DIGITS[rng.gen_range(0..DIGITS.len())],
    ];
    if policy.require_symbol {
        alphabet.extend_from_slice(SYMBOLS);
        chars.push(SYMBOLS[rng.gen_range(0..SYMBOLS.len())]);
    }
    while chars.len() < length {
        chars.push(alphabet[rng.gen_range(0..alphabet.len())]);
    }
    chars.shuffle(&mut rng);
    Password(String::from_utf8(chars).expect("alphabet is ASCII"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_every_policy() {
        let strict = PasswordPolicy {
            min_length: 24,
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_symbol: true,
        };
        for policy in [PasswordPolicy::default(), strict] {
            for _ in 0..50 {
                let p = generate(&policy);
                assert!(policy_violations(&policy, p.expose()).is_empty());
            }
        }
    }

    #[test]
    fn violations_name_each_missing_class() {
        let policy = PasswordPolicy::default();
        let v = policy_violations(&policy, "short");
        assert!(v.iter().any(|m| m.contains("at least 10")));
        assert!(v.iter().any(|m| m.contains("upper-case")));
        assert!(v.iter().any(|m| m.contains("digit")));
        assert!(!v.iter().any(|m| m.contains("lower-case")));
        assert!(policy_violations(&policy, "Correct9horse").is_empty());
    }

    #[test]
    fn hashes_are_argon2id_verify_and_never_print() {
        let password = Password::new("Correct9horse".into());
        let hash = PasswordHash::hash(&password).unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$"));
        assert!(hash.verify(&password));
        assert!(!hash.verify(&Password::new("wrong".into())));
        assert_eq!(format!("{hash:?}"), "PasswordHash(***)");
        assert_eq!(format!("{password:?}"), "Password(***)");
    }
}
