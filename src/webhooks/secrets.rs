//! Endpoint secrets: made from the OS's secure random source, shown to the
//! partner once, kept sealed (AES-256-GCM under `WEBHOOK_SECRET_KEY`) so a
//! copy of the database alone signs nothing, and used to sign as Standard
//! Webhooks sign: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed
//! with the base64-decoded part of the secret after `whsec_`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{AppError, AppResult};

const PREFIX: &str = "whsec_";
/// Random bytes in a secret (the specification asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// The key secrets are sealed with.
#[derive(Clone)]
pub struct SealKey(std::sync::Arc<LessSafeKey>);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(..)")
    }
}

impl SealKey {
    /// From 32 bytes (the configured key, decoded).
    pub fn new(bytes: &[u8]) -> Option<SealKey> {
        let key = UnboundKey::new(&AES_256_GCM, bytes).ok()?;
        Some(SealKey(std::sync::Arc::new(LessSafeKey::new(key))))
    }

    /// Seals `secret`: base64 of a random nonce and the ciphertext with its tag.
    pub fn seal(&self, secret: &str) -> AppResult<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| AppError::Internal("no secure random source".into()))?;
        let mut data = secret.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| AppError::Internal("sealing a webhook secret failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(STANDARD.encode(out))
    }

    /// Opens what `seal` made (with this key).
    pub fn open(&self, sealed: &str) -> AppResult<String> {
        let broken = || {
            AppError::Internal("a webhook secret cannot be opened with WEBHOOK_SECRET_KEY".into())
        };
        let raw = STANDARD.decode(sealed).map_err(|_| broken())?;
        if raw.len() < NONCE_LEN {
            return Err(broken());
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| broken())?;
        let mut data = rest.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| broken())?;
        String::from_utf8(plain.to_vec()).map_err(|_| broken())
    }
}

/// A new secret: `whsec_` + base64 of 32 random bytes.
pub fn generate() -> AppResult<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AppError::Internal("no secure random source".into()))?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` entry of one secret for one message.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(message_id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    Some(format!("v1,{}", STANDARD.encode(ctx.sign().as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_specification_example() {
        // The Standard Webhooks specification's own test vector.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let key = SealKey::new(&[7u8; 32]).expect("works");
        let other = SealKey::new(&[8u8; 32]).expect("works");
        let secret = generate().expect("works");
        assert!(secret.starts_with("whsec_") && secret.len() > 40);
        let sealed = key.seal(&secret).expect("works");
        assert!(!sealed.contains(&secret[6..]));
        assert_eq!(key.open(&sealed).expect("works"), secret);
        assert!(other.open(&sealed).is_err());
        assert_ne!(
            key.seal(&secret).expect("works"),
            sealed,
            "a fresh nonce each time"
        );
    }
}
