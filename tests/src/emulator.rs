//! What the emulator delivered: SMS and e-mails as moto records them
//! (`GET /moto-api/data.json`: `sns.SMS`, `ses.Message`).

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::Value;

fn data() -> Value {
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL: run through scripts/test");
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).expect("emulator reachable");
    write!(
        stream,
        "GET /moto-api/data.json HTTP/1.0\r\nHost: {host}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(body).expect("moto data.json")
}

/// Texts of the SMS sent to `phone` (E.164), oldest first.
pub fn sms_to(phone: &str) -> Vec<String> {
    data()["sns"]["SMS"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["phone_number"] == phone)
        .filter_map(|m| m["message"].as_str().map(str::to_owned))
        .collect()
}

/// (subject, body) of the e-mails sent to `address`, oldest first.
pub fn emails_to(address: &str) -> Vec<(String, String)> {
    data()["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            m["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|to| to.iter().any(|a| a == address))
        })
        .map(|m| {
            (
                m["subject"].as_str().unwrap_or_default().to_owned(),
                m["body"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The 8-digit code in a text.
pub fn code_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == roster_domain::activation::CODE_DIGITS)
        .map(str::to_owned)
}

/// A US mobile number no other test uses (valid for the default country).
pub fn unique_us_mobile() -> String {
    use roster_domain::tenant::TenantSettings;
    loop {
        let n = ulid::Ulid::new().random() as u64;
        let candidate = format!(
            "+1201{}{:02}{:04}",
            2 + n % 8,
            (n / 8) % 100,
            (n / 800) % 10_000
        );
        if roster_domain::validation::check_phone(&candidate, &TenantSettings::default()).is_ok() {
            return candidate;
        }
    }
}
