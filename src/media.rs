//! Product images as files: what an upload is (decided from its bytes,
//! never from the header the client sends), how large it claims to be
//! (read from the image header before anything is decoded, so a
//! decompression bomb costs nothing), and where it is kept (an
//! `object_store`: a local directory by default). Files are
//! content-addressed by SHA-256, so one file uploaded twice is one object.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

/// Largest upload.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest side, in pixels, as the header states it.
pub const MAX_SIDE: usize = 8_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }
}

/// The type a file's magic bytes say it is; None for anything else.
pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(ImageType::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageType::Webp)
    } else {
        None
    }
}

/// Why an upload is refused: each is the caller's fault.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    TooLarge,
    NotAnImage,
    Unreadable,
    TooManyPixels { width: usize, height: usize },
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::TooLarge => format!("an image is at most {} MiB", MAX_BYTES / 1024 / 1024),
            Refusal::NotAnImage => "the file is not a JPEG, PNG or WebP image (its bytes decide, not its name or header)".into(),
            Refusal::Unreadable => "the image's header cannot be read: the file is damaged or cut short".into(),
            Refusal::TooManyPixels { width, height } => format!(
                "the image is {width} x {height} px; at most {MAX_SIDE} px a side"
            ),
        }
    }
}

/// What an accepted upload is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// 64 hex digits: the SHA-256 of the bytes.
    pub id: String,
    pub kind: ImageType,
    pub width: usize,
    pub height: usize,
}

/// Checks an upload without decoding it: its size, its type from its magic
/// bytes, and its dimensions from its header (which must also be whole
/// enough to state them).
pub fn inspect(bytes: &[u8]) -> Result<Inspected, Refusal> {
    if bytes.len() > MAX_BYTES {
        return Err(Refusal::TooLarge);
    }
    let kind = sniff(bytes).ok_or(Refusal::NotAnImage)?;
    let size = imagesize::blob_size(bytes).map_err(|_| Refusal::Unreadable)?;
    if size.width == 0 || size.height == 0 {
        return Err(Refusal::Unreadable);
    }
    if size.width > MAX_SIDE || size.height > MAX_SIDE {
        return Err(Refusal::TooManyPixels {
            width: size.width,
            height: size.height,
        });
    }
    let id = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Inspected {
        id,
        kind,
        width: size.width,
        height: size.height,
    })
}

/// True for a media id: 64 lower-case hex digits.
pub fn is_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where the files are kept, shared by every replica that points at the
/// same store.
#[derive(Clone)]
pub struct MediaStore(Arc<dyn ObjectStore>);

impl MediaStore {
    /// A local directory (created if missing).
    pub fn local(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Self(Arc::new(store)))
    }

    pub async fn put(&self, id: &str, bytes: Bytes) -> Result<(), object_store::Error> {
        self.0
            .put(&ObjectPath::from(id), PutPayload::from_bytes(bytes))
            .await
            .map(|_| ())
    }

    pub async fn get(&self, id: &str) -> Result<Option<Bytes>, object_store::Error> {
        match self.0.get(&ObjectPath::from(id)).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG header claiming `w` x `h`, with nothing behind it.
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn the_bytes_decide_the_type_and_the_header_the_size() {
        let ok = inspect(&png_header(640, 480));
        assert_eq!(
            ok.as_ref().map(|i| (i.kind, i.width, i.height)),
            Ok((ImageType::Png, 640, 480))
        );
        assert_eq!(
            inspect(&png_header(20_000, 20_000)),
            Err(Refusal::TooManyPixels {
                width: 20_000,
                height: 20_000
            }),
            "a bomb is refused from its header"
        );
        assert_eq!(
            inspect(b"<html><script>alert(1)</script></html>"),
            Err(Refusal::NotAnImage)
        );
        assert_eq!(
            inspect(&png_header(640, 480)[..14]),
            Err(Refusal::Unreadable),
            "cut short"
        );
        assert_eq!(inspect(&vec![0xFF; MAX_BYTES + 1]), Err(Refusal::TooLarge));
    }

    #[test]
    fn ids_are_content_addresses() {
        let a = inspect(&png_header(1, 1)).map(|i| i.id).unwrap_or_default();
        let b = inspect(&png_header(1, 1)).map(|i| i.id).unwrap_or_default();
        assert_eq!(a, b);
        assert!(is_id(&a));
        assert!(!is_id("../../etc/passwd"));
    }
}
