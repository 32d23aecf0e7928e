//! The directory around users [000, 001, 002, 004]: groups, phones and extensions, voicemail,
//! answering rules and the organisation's shared contacts. Each module holds a model and the
//! validation of what clients send for it; storage is behind the ports in [`crate::store`].

pub mod answering_rules;
pub mod contacts;
pub mod device;
pub mod group;
pub mod photo;
pub mod shared_contact;
pub mod voicemail;
