//! Authentication: Argon2id password hashes, HS256 access tokens, rotating refresh tokens, and
//! the [`AuthUser`] extractor every protected handler takes.
//!
//! A handler that needs the caller takes `user: AuthUser` as an argument; a request without a
//! valid `Authorization: Bearer <token>` is answered 401 before the handler runs.

mod extractor;
pub mod jwt;
pub mod password;
pub mod refresh;

pub use extractor::{AuthUser, MaybeAuthUser};
pub use jwt::JwtKeys;
