//! Opaque pagination cursors.
//!
//! A cursor only says where the previous page stopped; the tenant always comes from the
//! caller, so a forged cursor can at worst skip rows of the caller's own tenant. Anything that
//! does not decode to a well-formed position is rejected as [`StoreError::BadCursor`].
//!
//! A search stops at a matched term, which may be a name or an address of a user the caller
//! may not read (a manager's hits are filtered by department after the page is read), so a
//! search position never leaves the table: the client holds a random id of it
//! ([`Cursor::Saved`], kept an hour). A list cursor holds only a user id.

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
    /// Search: the last (term, field rank, user id) returned. Stored, never sent.
    #[serde(rename = "s")]
    Search {
        term: String,
        rank: u8,
        after: UserId,
    },
    /// A stored search position, by its random id (128 bits, hex).
    #[serde(rename = "r")]
    Saved { id: String },
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
            // Positions with terms are read from the table only.
            Cursor::Search { .. } => Err(StoreError::BadCursor),
            Cursor::Saved { id } if !is_saved_id(id) => Err(StoreError::BadCursor),
            _ => Ok(cursor),
        }
    }

    /// A search position as stored in its cursor item.
    pub fn position_json(&self) -> String {
        serde_json::to_string(self).expect("cursors always serialise")
    }

    /// A stored search position read back.
    pub fn from_position_json(text: &str) -> Result<Self, StoreError> {
        match serde_json::from_str(text) {
            Ok(c @ Cursor::Search { .. }) => match &c {
                Cursor::Search { term, rank, .. } if term.is_empty() || *rank > 3 => {
                    Err(StoreError::BadCursor)
                }
                _ => Ok(c),
            },
            _ => Err(StoreError::BadCursor),
        }
    }
}

fn is_saved_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A fresh id for a saved search position.
pub fn new_saved_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
            Cursor::Saved { id: new_saved_id() },
        ] {
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
        let position = Cursor::Search {
            term: "jö".into(),
            rank: 2,
            after: UserId::generate(),
        };
        assert_eq!(
            Cursor::from_position_json(&position.position_json()).unwrap(),
            position
        );
    }

    #[test]
    fn a_search_position_is_never_taken_from_a_client() {
        let position = Cursor::Search {
            term: "lee".into(),
            rank: 0,
            after: UserId::generate(),
        };
        assert!(matches!(
            Cursor::decode(&position.encode()),
            Err(StoreError::BadCursor)
        ));
        let saved = Cursor::Saved { id: new_saved_id() }.encode();
        let plain = String::from_utf8(URL_SAFE_NO_PAD.decode(&saved).unwrap()).unwrap();
        assert!(!plain.contains("lee"), "a saved cursor carries only its id");
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
