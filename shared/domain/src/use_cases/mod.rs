//! What a caller can ask of Roster, one module per area. Each use case checks the caller's
//! permission, validates, and talks to storage only through ports; the HTTP functions (and
//! later SCIM) only decode requests and encode answers.

pub mod contacts;
pub mod devices;
pub mod export;
pub mod export_job;
pub mod groups;
pub mod imports;
pub mod organisation;
pub mod phone_settings;
pub mod photos;
pub mod pick_lists;
pub mod users;
