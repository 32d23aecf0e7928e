//! What both bucket adapters share: the client, error text, and pre-signed links.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;

/// Pre-signed links live 15 minutes.
pub(crate) const LINK_LIFETIME: Duration = roster_domain::import::files::UPLOAD_LINK_LIFETIME;

/// An S3 client for the emulator or AWS: path-style addressing works with both.
pub fn s3_client(config: &aws_config::SdkConfig) -> Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    Client::from_conf(s3_config)
}

/// The error with its service context, for logs and job records (no secrets in it).
pub(crate) fn s3_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_s3::error::SdkError<E, R>,
) -> String {
    aws_sdk_s3::error::DisplayErrorContext(e).to_string()
}

/// The import bucket and a client for it: what the export and photo adapters stand on.
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    pub client: Client,
    pub name: String,
}

fn link_config() -> Result<PresigningConfig, String> {
    PresigningConfig::expires_in(LINK_LIFETIME).map_err(|e| e.to_string())
}

/// A pre-signed GET link to `key`.
pub(crate) async fn download_link(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<String, String> {
    let get = client.get_object().bucket(bucket).key(key);
    Ok(get
        .presigned(link_config()?)
        .await
        .map_err(s3_error)?
        .uri()
        .to_owned())
}

/// A pre-signed PUT link to `key`.
pub(crate) async fn upload_link(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<String, String> {
    let put = client.put_object().bucket(bucket).key(key);
    Ok(put
        .presigned(link_config()?)
        .await
        .map_err(s3_error)?
        .uri()
        .to_owned())
}
