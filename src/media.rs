//! Product images as files: what an upload is (decided from its bytes,
//! never from the header the client sends), how large it claims to be
//! (read from the image header before anything is decoded, so a
//! decompression bomb costs nothing), and where it is kept (an
//! `object_store`: a local directory by default, an S3-compatible bucket
//! when `MEDIA_S3_BUCKET` is set). Files are content-addressed by SHA-256,
//! so one file uploaded twice is one object. An accepted file is then
//! decoded once, within a memory budget and one at a time: a file that
//! does not decode whole is refused, and a phone copy (`PHONE_SIDE`) is
//! made from it.

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
/// The phone copy's longest side.
pub const PHONE_SIDE: u32 = 480;
/// What one decode may allocate: an 8,000 px square in RGBA, and a margin.
const DECODE_BUDGET: u64 = 8_000 * 8_000 * 4 + 16 * 1024 * 1024;

/// One decode at a time: each may hold `DECODE_BUDGET` bytes.
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

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

/// A phone-sized JPEG of an image, with its size.
pub struct PhoneCopy {
    pub bytes: Bytes,
    pub width: u32,
    pub height: u32,
}

/// Decodes an inspected file whole, and makes its phone copy when it is
/// larger than `PHONE_SIDE`. Unreadable when the body past the header is
/// damaged or cut short.
pub async fn decode(bytes: Bytes, kind: ImageType) -> Result<Option<PhoneCopy>, Refusal> {
    let _turn = DECODING.acquire().await.map_err(|_| Refusal::Unreadable)?;
    tokio::task::spawn_blocking(move || phone_copy(&bytes, kind))
        .await
        .map_err(|_| Refusal::Unreadable)?
}

fn phone_copy(bytes: &[u8], kind: ImageType) -> Result<Option<PhoneCopy>, Refusal> {
    use image::{ImageFormat, ImageReader, Limits};
    let format = match kind {
        ImageType::Jpeg => ImageFormat::Jpeg,
        ImageType::Png => ImageFormat::Png,
        ImageType::Webp => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE as u32);
    limits.max_image_height = Some(MAX_SIDE as u32);
    limits.max_alloc = Some(DECODE_BUDGET);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|_| Refusal::Unreadable)?;
    if decoded.width().max(decoded.height()) <= PHONE_SIDE {
        return Ok(None);
    }
    let small = decoded.thumbnail(PHONE_SIDE, PHONE_SIDE).to_rgba8();
    // JPEG has no transparency: a transparent background becomes white,
    // as a product photo's would be on a page.
    let flat = image::RgbImage::from_fn(small.width(), small.height(), |x, y| {
        let [r, g, b, a] = small.get_pixel(x, y).0;
        let over = |c: u8| ((c as u16 * a as u16 + 255 * (255 - a as u16)) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&flat)
        .map_err(|_| Refusal::Unreadable)?;
    Ok(Some(PhoneCopy {
        bytes: Bytes::from(out),
        width: flat.width(),
        height: flat.height(),
    }))
}

/// Where a media id's phone copy is kept, next to the original.
pub fn phone_key(id: &str) -> String {
    format!("{id}.{PHONE_SIDE}.jpg")
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
    /// The store the configuration names: a bucket when `MEDIA_S3_BUCKET`
    /// is set, else `MEDIA_DIR`.
    pub fn configured(config: &crate::config::Config) -> Result<Self, String> {
        match &config.media_s3_bucket {
            Some(bucket) => Self::s3(config, bucket),
            None => Self::local(&config.media_dir).map_err(|e| e.to_string()),
        }
    }

    /// An S3-compatible bucket (AWS, MinIO, R2, moto): every replica that
    /// names it shares the files. Without keys in the configuration the
    /// client finds credentials as AWS SDKs do (instance role, web identity).
    fn s3(config: &crate::config::Config, bucket: &str) -> Result<Self, String> {
        use object_store::aws::AmazonS3Builder;
        crate::outbound::install_crypto();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&config.media_s3_region);
        if let Some(endpoint) = &config.media_s3_endpoint {
            let scheme_ok = ["http://", "https://"]
                .iter()
                .any(|s| endpoint.starts_with(s) && endpoint.len() > s.len());
            if !scheme_ok {
                return Err(format!(
                    "MEDIA_S3_ENDPOINT must be an http:// or https:// URL, not `{endpoint}`"
                ));
            }
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let (Some(id), Some(secret)) = (
            &config.media_s3_access_key_id,
            &config.media_s3_secret_access_key,
        ) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose());
        }
        // The builder's errors name settings, never the keys.
        let store = builder.build().map_err(|e| e.to_string())?;
        Ok(Self(Arc::new(store)))
    }

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
