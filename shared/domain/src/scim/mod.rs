//! SCIM 2.0 (RFC 7643, RFC 7644): identity providers (Okta, Entra ID) provision users and
//! groups onto the same records, validation and stores as the admin API and the importer.

pub mod error;
pub mod eval;
pub mod filter;
pub mod group;
pub mod patch;
pub mod plan;
pub mod schema;
pub mod service;
pub mod token;
pub mod user;
