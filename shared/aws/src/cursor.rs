//! Opaque pagination cursors.
//!
//! A cursor only says where the previous page stopped; the tenant always comes from the
//! caller, so a forged cursor can at worst skip rows of the caller's own tenant. Anything that
//! does not decode to a well-formed position is rejected as [`StoreError::BadCursor`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use roster_domain::ids::UserId;
use roster_domain::store::StoreError;
use serde::{Deserialize, Serialize};

/// Where a listing stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", deny_unknown_fields)]
pub enum Cursor {
    /// Plain listing: the last user id returned (lists are ordered by id).
    #[serde(rename = "l")]
    List { after: UserId },
    /// Search: the last (term, field rank, user id) returned.
    #[serde(rename = "s")]
    Search {
        term: String,
        rank: u8,
        after: UserId,
    },
}

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("cursors always serialise");
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(text: &str) -> Result<Self, StoreError> {
        if text.len() > 1024 {
            return Err(StoreError::BadCursor);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| StoreError::BadCursor)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| StoreError::BadCursor)?;
        match &cursor {
            Cursor::Search { term, rank, .. } if term.is_empty() || *rank > 3 => {
                Err(StoreError::BadCursor)
            }
            _ => Ok(cursor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for c in [
            Cursor::List {
                after: UserId::generate(),
            },
            Cursor::Search {
                term: "jö".into(),
                rank: 2,
                after: UserId::generate(),
            },
        ] {
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
    }

    #[test]
    fn forged_cursors_are_rejected() {
        let forged = URL_SAFE_NO_PAD.encode(br#"{"k":"l","after":"T#other#U#x"}"#);
        for bad in ["", "!!!", "e30", forged.as_str(), &"A".repeat(2000)] {
            assert!(
                matches!(Cursor::decode(bad), Err(StoreError::BadCursor)),
                "{bad} accepted"
            );
        }
    }
}
