//! What every HTTP function shares: the caller from verified claims, the one JSON error shape,
//! and request bodies read within limits.

mod body;
mod claims;
mod error;
mod preconditions;
mod query;
mod response;
mod router;
mod serve;

pub use body::{MAX_BODY_BYTES, json_body, json_object};
pub use claims::caller;
pub use error::HttpError;
pub use preconditions::parse_if_match;
pub use query::{import_query, user_query};
pub use response::{empty, error_response, json, json_with_headers};
pub use router::{PathIds, resolve};
pub use serve::serve;
