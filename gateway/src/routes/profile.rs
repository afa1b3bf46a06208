//! Validation of profile updates (`PUT /api/users/{user_id}/profile`): which fields may change,
//! what an avatar may be, and that a time zone is an IANA name.

use serde_json::{Map, Value};

use crate::{
    domain::history::zone,
    error::{ApiError, ApiResult},
    store::users::UserRow,
};

const MAX_NAME: usize = 100;
const MAX_BIO: usize = 1_000;
const MAX_URL: usize = 2_048;
/// Largest avatar image accepted as a data URL, decoded. The frontend allows 5 MB, but a profile
/// picture needs far less, and every profile read carries it.
pub const MAX_AVATAR_BYTES: usize = 1024 * 1024;
const MAX_PREFERENCES: usize = 8 * 1024;
/// Raster types only: an SVG data URL can carry script.
const IMAGE_TYPES: &[&str] = &["png", "jpeg", "jpg", "gif", "webp"];

/// The profile after applying an update body to `current`.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub avatar: String,
    pub bio: String,
    pub preferences: String,
    pub timezone: String,
}

/// Applies `body` to `current`: `firstName`, `lastName`, `avatar`, `bio` and `timezone` (top
/// level, or inside `profile` as the original stored them) and `profile.preferences`. Everything else
/// (email, id, stats) is ignored; a field that is present must be valid.
pub fn apply(current: &UserRow, body: &Value) -> ApiResult<Profile> {
    let body = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("Request body must be a JSON object"))?;
    let nested = match body.get("profile").filter(|p| !p.is_null()) {
        None => None,
        Some(Value::Object(nested)) => Some(nested),
        Some(_) => return Err(ApiError::bad_request("profile must be an object")),
    };
    let field = |name: &str| {
        body.get(name)
            .or_else(|| nested.and_then(|p| p.get(name)))
            .filter(|v| !v.is_null())
    };
    let first_name = text(field("firstName"), "firstName", MAX_NAME)?
        .unwrap_or_else(|| current.first_name.clone());
    if first_name.is_empty() {
        return Err(ApiError::bad_request("firstName must not be empty"));
    }
    let avatar = match text(field("avatar"), "avatar", usize::MAX)? {
        Some(avatar) => validated_avatar(avatar)?,
        None => current.avatar.clone(),
    };
    Ok(Profile {
        first_name,
        last_name: text(field("lastName"), "lastName", MAX_NAME)?
            .unwrap_or_else(|| current.last_name.clone()),
        avatar,
        bio: text(field("bio"), "bio", MAX_BIO)?.unwrap_or_else(|| current.bio.clone()),
        preferences: preferences(
            nested.and_then(|p| p.get("preferences")),
            &current.preferences,
        )?,
        timezone: match text(field("timezone"), "timezone", 64)? {
            Some(name) => zone::parse_timezone(&name)
                .map_err(ApiError::bad_request)?
                .name()
                .to_owned(),
            None => current.timezone.clone(),
        },
    })
}

/// A trimmed string field of at most `max` characters, when present.
fn text(value: Option<&Value>, name: &str, max: usize) -> ApiResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let text = value
        .as_str()
        .map(str::trim)
        .ok_or_else(|| ApiError::bad_request(format!("{name} must be a string")))?;
    if text.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "{name} must be at most {max} characters"
        )));
    }
    Ok(Some(text.to_owned()))
}

fn preferences(value: Option<&Value>, current: &str) -> ApiResult<String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(current.to_owned());
    };
    let object: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("profile.preferences must be an object"))?;
    let text = serde_json::to_string(object).map_err(ApiError::internal)?;
    if text.len() > MAX_PREFERENCES {
        return Err(ApiError::bad_request("profile.preferences is too large"));
    }
    Ok(text)
}

/// `""`, an `https://` URL, or a base64 `data:image/…` URL of at most [`MAX_AVATAR_BYTES`].
pub fn validated_avatar(avatar: String) -> ApiResult<String> {
    if avatar.is_empty() || is_https_url(&avatar) {
        return Ok(avatar);
    }
    if let Some(size) = data_url_image_size(&avatar) {
        return match size <= MAX_AVATAR_BYTES {
            true => Ok(avatar),
            false => Err(ApiError::PayloadTooLarge(format!(
                "Avatar image must be at most {} KB",
                MAX_AVATAR_BYTES / 1024
            ))),
        };
    }
    Err(ApiError::bad_request(
        "avatar must be an https:// URL or a base64 data:image URL (PNG, JPEG, GIF or WebP)",
    ))
}

fn is_https_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    url.len() <= MAX_URL
        && !host.is_empty()
        && !url.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\')
        })
}

/// The decoded size of a well-formed `data:image/<raster>;base64,<data>` URL.
fn data_url_image_size(url: &str) -> Option<usize> {
    let rest = url.strip_prefix("data:image/")?;
    let (kind, data) = rest.split_once(";base64,")?;
    if !IMAGE_TYPES.contains(&kind.to_ascii_lowercase().as_str())
        || data.is_empty()
        || data.len() % 4 != 0
    {
        return None;
    }
    let body = data.trim_end_matches('=');
    let valid = data.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    valid.then(|| body.len() * 3 / 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_urls_and_raster_data_urls_only() {
        assert!(validated_avatar("https://ui-avatars.com/api/?name=A+B".into()).is_ok());
        assert!(validated_avatar("data:image/png;base64,iVBORw0KGgo=".into()).is_ok());
        assert!(validated_avatar(String::new()).is_ok());
        for bad in [
            "http://example.com/a.png",
            "javascript:alert(1)",
            "data:image/svg+xml;base64,PHN2Zz4=",
            "https://",
            "https://x.com/a\"onerror=x",
            "data:image/png;base64,***=",
        ] {
            assert!(validated_avatar(bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_a_profile_that_is_not_an_object_and_ignores_a_null_one() {
        let row = UserRow {
            id: "u".into(),
            email: "a@b".into(),
            first_name: "Ada".into(),
            last_name: String::new(),
            password_hash: String::new(),
            avatar: String::new(),
            bio: String::new(),
            preferences: "{}".into(),
            timezone: "UTC".into(),
            created_at: String::new(),
            last_login: None,
        };
        let refused = apply(&row, &serde_json::json!({ "profile": [null, null] }));
        assert!(
            matches!(refused, Err(ApiError::BadRequest(m)) if m == "profile must be an object")
        );
        let kept = apply(&row, &serde_json::json!({ "profile": null, "bio": "hi" })).unwrap();
        assert_eq!((kept.bio.as_str(), kept.preferences.as_str()), ("hi", "{}"));
    }

    #[test]
    fn refuses_an_avatar_over_the_cap_with_413() {
        let big = format!(
            "data:image/png;base64,{}",
            "A".repeat((MAX_AVATAR_BYTES + 3) / 3 * 4 + 4)
        );
        assert!(matches!(
            validated_avatar(big),
            Err(ApiError::PayloadTooLarge(_))
        ));
    }
}
