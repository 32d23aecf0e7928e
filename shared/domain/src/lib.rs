//! Roster's domain: the user model, the one validation every entry point uses, and the ports
//! (traits) that storage and messaging adapters implement. No I/O happens in this crate, but for
//! the scratch file in which rust_xlsxwriter keeps a large XLSX report's sheet.

pub mod activation;
pub mod caller;
pub mod department;
pub mod directory;
pub mod enums;
pub mod error;
pub mod ids;
pub mod import;
pub mod object_keys;
pub mod password;
pub mod pick_list;
pub mod scim;
pub mod search;
pub mod store;
pub mod tenant;
pub mod upload;
pub mod use_cases;
pub mod user;
pub mod validation;
pub mod views;
