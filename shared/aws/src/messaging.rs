//! SMS through SNS and e-mail through SESv2, with retries (exponential backoff) on throttling
//! and server errors configured on the clients; what still fails is classified for the caller.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sns::types::MessageAttributeValue;
use roster_domain::activation::{DeliveryError, SendEmail, SendSms};
use roster_domain::user::{EmailAddress, PhoneNumber};

/// Attempts per call, backoff included (SDK standard retry: throttling, 5xx, timeouts).
pub const DELIVERY_ATTEMPTS: u32 = 5;

/// Client errors that retrying cannot fix.
fn classify_delivery(code: Option<&str>, detail: String) -> DeliveryError {
    match code {
        Some(
            "InvalidParameter"
            | "InvalidParameterValue"
            | "OptedOut"
            | "BadRequestException"
            | "MessageRejected"
            | "NotFoundException"
            | "AccountSuspendedException"
            | "MailFromDomainNotVerifiedException",
        ) => DeliveryError::Permanent(detail),
        _ => DeliveryError::Transient(detail),
    }
}

pub fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(DELIVERY_ATTEMPTS)
        .with_initial_backoff(std::time::Duration::from_millis(100))
}

#[derive(Clone, Debug)]
pub struct SnsSms {
    client: aws_sdk_sns::Client,
}

impl SnsSms {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        let sns = aws_sdk_sns::config::Builder::from(config)
            .retry_config(retry_config())
            .build();
        Self {
            client: aws_sdk_sns::Client::from_conf(sns),
        }
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, DeliveryError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| DeliveryError::Permanent(e.to_string()))
}

impl SendSms for SnsSms {
    async fn send_sms(
        &self,
        to: &PhoneNumber,
        text: &str,
        sender_id: Option<&str>,
    ) -> Result<(), DeliveryError> {
        let mut request = self
            .client
            .publish()
            .phone_number(to.as_str())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?);
        if let Some(id) = sender_id {
            request = request.message_attributes("AWS.SNS.SMS.SenderID", string_attribute(id)?);
        }
        request.send().await.map(|_| ()).map_err(|e| {
            use aws_sdk_sns::error::ProvideErrorMetadata;
            let code = e.code().map(str::to_owned);
            classify_delivery(
                code.as_deref(),
                aws_sdk_sns::error::DisplayErrorContext(e).to_string(),
            )
        })
    }
}

#[derive(Clone, Debug)]
pub struct SesEmail {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesEmail {
    pub fn new(config: &aws_config::SdkConfig, from: impl Into<String>) -> Self {
        let ses = aws_sdk_sesv2::config::Builder::from(config)
            .retry_config(retry_config())
            .build();
        Self {
            client: aws_sdk_sesv2::Client::from_conf(ses),
            from: from.into(),
        }
    }
}

fn content(text: &str) -> Result<Content, DeliveryError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| DeliveryError::Permanent(e.to_string()))
}

impl SendEmail for SesEmail {
    async fn send_email(
        &self,
        to: &EmailAddress,
        subject: &str,
        text: &str,
    ) -> Result<(), DeliveryError> {
        let message = Message::builder()
            .subject(content(subject)?)
            .body(Body::builder().text(content(text)?).build())
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to.as_str()).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                use aws_sdk_sesv2::error::ProvideErrorMetadata;
                let code = e.code().map(str::to_owned);
                classify_delivery(
                    code.as_deref(),
                    aws_sdk_sesv2::error::DisplayErrorContext(e).to_string(),
                )
            })
    }
}
