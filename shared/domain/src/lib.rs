//! Roster's domain: the user model, the one validation every entry point uses, and the ports
//! (traits) that storage and messaging adapters implement. No I/O happens in this crate.

pub mod activation;
pub mod caller;
pub mod department;
pub mod enums;
pub mod error;
pub mod export;
pub mod ids;
pub mod import;
pub mod import_job;
pub mod object_keys;
pub mod organisation;
pub mod password;
pub mod pick_list;
pub mod search;
pub mod store;
pub mod tenant;
pub mod user;
pub mod user_view;
pub mod users;
pub mod validation;
