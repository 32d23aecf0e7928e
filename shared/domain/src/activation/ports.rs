//! The ports activation talks through: publishing requests, sending texts and e-mails, the
//! request log that makes redeliveries harmless, and recording the outcome on the user.

use std::future::Future;

use super::model::{ActivationRequest, ActivationState, Channel};
use crate::ids::{TenantId, UserId};
use crate::store::StoreResult;
use crate::user::{EmailAddress, PhoneNumber};

#[derive(Debug, thiserror::Error)]
#[error("publishing failed: {message}")]
pub struct PublishError {
    pub message: String,
    /// The request ids that were not published; empty when none of them was.
    pub refused: Vec<String>,
}

impl PublishError {
    /// Nothing was published.
    pub fn all(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            refused: vec![],
        }
    }

    /// Whether `request_id` may not have been published.
    pub fn refused(&self, request_id: &str) -> bool {
        self.refused.is_empty() || self.refused.iter().any(|r| r == request_id)
    }
}

/// The port the API and the importer publish activation requests through.
pub trait PublishActivation {
    fn publish(
        &self,
        requests: &[ActivationRequest],
    ) -> impl Future<Output = Result<(), PublishError>> + Send;
}

/// Why a delivery could not be made; transient ones are worth retrying.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeliveryError {
    #[error("temporarily failed: {0}")]
    Transient(String),
    #[error("rejected: {0}")]
    Permanent(String),
}

/// Sends an SMS (SNS `Publish` to a phone number, Transactional).
pub trait SendSms {
    fn send_sms(
        &self,
        to: &PhoneNumber,
        text: &str,
        sender_id: Option<&str>,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// Sends an e-mail (SESv2).
pub trait SendEmail {
    fn send_email(
        &self,
        to: &EmailAddress,
        subject: &str,
        text: &str,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// What the request log says about a request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This delivery may proceed; these channels were already delivered by an earlier try,
    /// and this is the `attempt`-th try (1 for the first).
    Acquired {
        delivered: Vec<Channel>,
        attempt: u32,
    },
    /// Fully handled before: a redelivery, nothing to do.
    Done,
    /// Another delivery is handling it right now.
    Busy,
}

/// Remembers activation requests by id, so a redelivered message does nothing twice.
pub trait ActivationRequestLog {
    fn claim(
        &self,
        tenant: &TenantId,
        request_id: &str,
        lease: time::Duration,
    ) -> impl Future<Output = StoreResult<Claim>> + Send;
    fn mark_delivered(
        &self,
        tenant: &TenantId,
        request_id: &str,
        channel: Channel,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn finish(
        &self,
        tenant: &TenantId,
        request_id: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Gives the request back so a retry can take it at once.
    fn release(
        &self,
        tenant: &TenantId,
        request_id: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Records the activation outcome on the user without touching its version (admins editing
/// the user concurrently are not disturbed).
pub trait RecordActivation {
    fn record_activation(
        &self,
        tenant: &TenantId,
        user: &UserId,
        state: &ActivationState,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}
