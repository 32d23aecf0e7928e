//! Profile photos [002]: uploaded straight to S3 through a pre-signed PUT that is bound to the
//! declared image type (and size, when the client states it), then checked before anyone sees
//! it: a photo becomes the user's only once the stored object is at most [`PHOTO_MAX_BYTES`]
//! and its first bytes are those of the declared image type. Anything else is deleted.

use std::future::Future;

use serde::{Deserialize, Serialize};

pub const PHOTO_MAX_BYTES: u64 = 5 * 1024 * 1024;

/// The image types a photo may have, with the extension its key gets.
pub const PHOTO_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
];

/// An upload handed out and not yet checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPhoto {
    pub key: String,
    pub content_type: String,
}

/// What the bucket holds at a photo's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub size: u64,
    /// The object's first bytes (up to 16).
    pub head: Vec<u8>,
}

/// Whether `head` starts like an image of `content_type`.
pub fn looks_like(content_type: &str, head: &[u8]) -> bool {
    match content_type {
        "image/jpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/gif" => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
        "image/webp" => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
        _ => false,
    }
}

/// Whether a stored upload may become the user's photo.
pub fn acceptable(pending: &PendingPhoto, stored: &StoredPhoto) -> bool {
    stored.size <= PHOTO_MAX_BYTES && looks_like(&pending.content_type, &stored.head)
}

/// The bucket side of photos.
pub trait PhotoStore {
    /// A pre-signed PUT to `key` that S3 accepts only with this content type (and length).
    fn upload_link(
        &self,
        key: &str,
        content_type: &str,
        content_length: Option<u64>,
    ) -> impl Future<Output = Result<String, String>> + Send;
    /// The object's size and first bytes; `None` when nothing was uploaded.
    fn inspect(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredPhoto>, String>> + Send;
    /// A short-lived GET link.
    fn view_link(&self, key: &str) -> impl Future<Output = Result<String, String>> + Send;
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), String>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_declared_image_type_within_the_size_passes() {
        let pending = PendingPhoto {
            key: "k".into(),
            content_type: "image/png".into(),
        };
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let ok = StoredPhoto {
            size: 1000,
            head: png.clone(),
        };
        assert!(acceptable(&pending, &ok));
        let big = StoredPhoto {
            size: PHOTO_MAX_BYTES + 1,
            head: png,
        };
        assert!(!acceptable(&pending, &big));
        let html = StoredPhoto {
            size: 10,
            head: b"<html><script>".to_vec(),
        };
        assert!(!acceptable(&pending, &html));
        assert!(looks_like("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(looks_like("image/webp", b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!looks_like("image/svg+xml", b"<svg"));
    }
}
