//! Password hashing with Argon2id (PHC strings), run on the blocking pool: a hash costs tens
//! of milliseconds of CPU, which must not stall the async runtime.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use rand::RngCore;

use crate::error::ApiError;

/// A PHC hash of `password` (Argon2id, v19, the crate's OWASP-recommended parameters).
pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = new_salt();
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub async fn verify(password: String, phc: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .map_err(ApiError::internal)
}

/// A hash of a random password: login against an unknown email verifies against it, so the
/// response takes as long as for a known email and timing reveals nothing.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = new_salt();
        Argon2::default()
            .hash_password(b"not-a-password-anyone-has", &salt)
            .expect("hashing a constant")
            .to_string()
    })
}

/// 16 random bytes from the OS-seeded thread RNG, as a PHC salt.
fn new_salt() -> SaltString {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes).expect("16 bytes is a valid salt length")
}
