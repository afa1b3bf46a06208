//! HS256 access tokens with the contract's claims (`user_id`, `email`, `iat`, `exp`,
//! `type: "access"`) and `sid`, the session (refresh-token family) the token belongs to, which
//! the extractor checks against revocations so that signing out ends the access token too.
//! Verification pins the algorithm to HS256, so `alg: none` and any other algorithm are
//! refused, and requires an unexpired `exp`, `type == "access"` and a `sid`.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The `type` claim of an access token.
const ACCESS: &str = "access";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub user_id: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(rename = "type")]
    pub kind: String,
    /// The session: the refresh-token family issued with this token.
    pub sid: String,
}

/// The signing and verification keys, built once from `JWT_SECRET_KEY`.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        // Clocks within one cluster agree to well under this.
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// A signed access token for the user's session `sid`, and its lifetime in seconds.
    pub fn issue(&self, user_id: &str, email: &str, sid: &str) -> (String, u64) {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            user_id: user_id.to_owned(),
            email: email.to_owned(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            kind: ACCESS.to_owned(),
            sid: sid.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail");
        (token, self.ttl.as_secs())
    }

    /// The claims of a valid access token; `None` for anything else (tampered, expired, another
    /// algorithm, another token type).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.kind == ACCESS).then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60))
    }

    #[test]
    fn accepts_its_own_tokens() {
        let (token, _) = keys().issue("u1", "a@b.c", "s1");
        let claims = keys().verify(&token).unwrap();
        assert_eq!(
            (
                claims.user_id.as_str(),
                claims.kind.as_str(),
                claims.sid.as_str()
            ),
            ("u1", "access", "s1")
        );
    }

    #[test]
    fn rejects_a_token_signed_with_another_secret() {
        let other = JwtKeys::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        let (token, _) = other.issue("u1", "a@b.c", "s1");
        assert!(keys().verify(&token).is_none());
    }
}
