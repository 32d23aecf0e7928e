//! What a caller can ask of Roster, one module per area. Each use case checks the caller's
//! permission, validates, and talks to storage only through ports; the HTTP functions (and
//! later SCIM) only decode requests and encode answers.

pub mod export;
pub mod imports;
pub mod organisation;
pub mod pick_lists;
pub mod users;
