//! Refresh tokens: 32 random bytes, hex-encoded for the client and stored only as a SHA-256
//! hash, so a database leak yields no usable token.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random token, as the client receives it.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of `token`.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random family or user id: 32 lowercase hex characters, like the original's
/// `uuid4().hex`.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
