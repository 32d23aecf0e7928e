//! SCIM 2.0 (RFC 7643, RFC 7644): what the provisioning routes parse, independent of HTTP.

pub mod filter;
pub mod plan;
