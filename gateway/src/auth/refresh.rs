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

/// `next` (a token from [`generate`]) sealed for the holder of `spent`: XORed with
/// SHA-256(`successor:` ‖ `spent`). Only someone holding `spent` can derive that pad; the
/// database keeps only SHA-256(`spent`), another value, so a database leak opens no seal.
pub fn seal(spent: &str, next: &str) -> String {
    hex::encode(xor_pad(spent, &hex::decode(next).unwrap_or_default()))
}

/// The token [`seal`] sealed, given the spent token; `None` for a damaged seal.
pub fn unseal(spent: &str, sealed: &str) -> Option<String> {
    let bytes = hex::decode(sealed).ok().filter(|b| b.len() == 32)?;
    Some(hex::encode(xor_pad(spent, &bytes)))
}

fn xor_pad(spent: &str, bytes: &[u8]) -> Vec<u8> {
    let pad = Sha256::new()
        .chain_update(b"successor:")
        .chain_update(spent.as_bytes())
        .finalize();
    bytes.iter().zip(pad).map(|(b, p)| b ^ p).collect()
}

/// A new random family or user id: 32 lowercase hex characters, like the original's
/// `uuid4().hex`.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_successor_opens_only_with_the_spent_token() {
        let (spent, next) = (generate(), generate());
        let sealed = seal(&spent, &next);
        assert_ne!(sealed, next);
        assert_eq!(unseal(&spent, &sealed).as_deref(), Some(next.as_str()));
        assert_ne!(unseal(&generate(), &sealed).as_deref(), Some(next.as_str()));
        assert_eq!(unseal(&spent, "not hex"), None);
    }
}
