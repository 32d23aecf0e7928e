//! DynamoDB adapter: implements the domain's storage ports over one table.
//!
//! Build one [`DynamoStore`] per cold start (in `main`) and share it by reference; it holds
//! the SDK client, whose connection pool is what makes warm requests fast.

mod activation_codes;
mod activation_limits;
mod activation_log;
mod activation_publisher;
mod continuation;
mod cursor;
mod department_hold;
mod departments;
mod error;
mod export_bucket;
mod export_jobs;
mod groups;
mod import_bucket;
mod import_jobs;
mod item;
pub mod keys;
mod messaging;
mod named;
mod part_uploads;
mod photo_bucket;
mod pick_lists;
mod s3;
mod scim_tokens;
mod settings;
mod shared_contacts;
pub mod telemetry;
mod transaction;
mod users;

pub use activation_publisher::SnsActivationPublisher;
pub use continuation::{Continuation, ExportContinuation, QueueMessage, SqsContinuation};
pub use error::classify;
pub use import_bucket::S3ImportFiles;
pub use messaging::{DELIVERY_ATTEMPTS, SesEmail, SnsSms};
pub use photo_bucket::S3PhotoStore;
pub use s3::s3_client;

use aws_sdk_dynamodb::Client;

/// The table and the client that reaches it.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

/// A variable every deployed function is given (see infra/template.yaml).
pub fn required_env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

impl DynamoStore {
    /// The table named by `ROSTER_TABLE`.
    pub fn from_environment(config: &aws_config::SdkConfig) -> Result<Self, String> {
        Ok(Self::new(
            Client::new(config),
            required_env("ROSTER_TABLE")?,
        ))
    }
}

/// Loads AWS configuration from the environment (region, credentials, `AWS_ENDPOINT_URL` for
/// the local emulator). Call once at init.
pub async fn load_aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// What every function's `main` does first: JSON logs on, then the AWS configuration its
/// clients are built from (once per cold start).
pub async fn cold_start() -> aws_config::SdkConfig {
    telemetry::init();
    load_aws_config().await
}
