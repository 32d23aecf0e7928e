//! Activation: codes and requests ([`model`]), the ports they go through ([`ports`]), sending a
//! request's texts and e-mails ([`sender`]) and activating a device with a code or IMEI
//! ([`device`]).

mod device;
pub mod model;
pub mod ports;
mod sender;

pub use device::{
    ActivationAttempt, ActivationFailure, MAX_SOURCE_FAILURES, Proof, activate_device,
};
pub use model::*;
pub use ports::*;
pub use sender::{Outcome, SendFailure, SenderConfig, SenderPorts, process_request};
