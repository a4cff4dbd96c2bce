//! Who the caller is: HS256 JWTs signed with `AUTH_SECRET` (guest sign-in mints them; a host app
//! mints the same for its users) and random ids. A token's `name` follows the display-name rule of
//! `names.rs`; one that breaks it is refused like any other bad claim (401).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::grants::Grants;
pub use crate::names::{validate_name, NameError, MAX_NAME_CHARS};

type HmacSha256 = Hmac<Sha256>;

/// Clock skew allowed for `nbf` and `iat` (contract: 60 s).
pub const LEEWAY_SECS: u64 = 60;
/// Longest token accepted; anything bigger is refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 4096;
pub const MAX_USER_ID_CHARS: usize = 128;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub name: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// v1.1 grants (`grants.rs`); absent: the default space, a member, every channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
}

/// A verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    /// When the token expires (unix seconds): the sockets it opened are closed then.
    pub exp: u64,
    /// Its space, role and channels.
    pub grants: Grants,
}

/// Why a token was refused. Every variant is a 401; the detail is for logs and the error body
/// (it never contains the token).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TokenError {
    Missing,
    TooLarge,
    Malformed,
    WrongAlgorithm,
    BadSignature,
    BadClaims,
    Expired,
    NotYetValid,
}

impl TokenError {
    pub fn detail(self) -> &'static str {
        match self {
            TokenError::Missing => "a bearer token is required",
            TokenError::TooLarge => "the token is too large",
            TokenError::Malformed => "the token is malformed",
            TokenError::WrongAlgorithm => "the token must be signed with HS256",
            TokenError::BadSignature => "the token signature is invalid",
            TokenError::BadClaims => "the token claims are missing or invalid",
            TokenError::Expired => "the token has expired",
            TokenError::NotYetValid => "the token is not valid yet",
        }
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

fn mac(secret: &str) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!())
}

/// Signs `claims` as an HS256 JWT.
pub fn sign(claims: &Claims, secret: &str) -> String {
    let header = B64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = B64URL.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let sig = B64URL.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// Verifies an HS256 JWT at time `now` (unix seconds).
pub fn verify(token: &str, secret: &str, now: u64) -> Result<User, TokenError> {
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Header = B64URL
        .decode(header_b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenError::Malformed)?;
    // Only HS256: refuses `none` and algorithm-confusion tricks before looking at the signature.
    if header.alg != "HS256" {
        return Err(TokenError::WrongAlgorithm);
    }
    let sig = B64URL.decode(sig_b64).map_err(|_| TokenError::Malformed)?;
    let mut mac = mac(secret);
    mac.update(header_b64.as_bytes());
    mac.update(b".");
    mac.update(payload_b64.as_bytes());
    mac.verify_slice(&sig).map_err(|_| TokenError::BadSignature)?;

    let claims: Claims = B64URL
        .decode(payload_b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenError::BadClaims)?;
    let sub_len = claims.sub.chars().count();
    if sub_len == 0 || sub_len > MAX_USER_ID_CHARS || claims.sub.chars().any(char::is_control) {
        return Err(TokenError::BadClaims);
    }
    let name = validate_name(&claims.name).map_err(|_| TokenError::BadClaims)?;
    let grants = Grants::from_claims(claims.space.as_deref(), claims.role.as_deref(), claims.channels.as_deref())
        .ok_or(TokenError::BadClaims)?;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    let latest = now + LEEWAY_SECS;
    if claims.nbf.is_some_and(|nbf| nbf > latest) || claims.iat.is_some_and(|iat| iat > latest) {
        return Err(TokenError::NotYetValid);
    }
    Ok(User { id: claims.sub, name, exp: claims.exp, grants })
}

/// `bytes` random bytes from the platform's CSPRNG (crypto.getRandomValues in workerd).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::getrandom(&mut buf).is_err() {
        // No randomness means no safe ids; there is nothing sensible to continue with.
        panic!("no source of randomness");
    }
    buf
}

/// A random id with 128 bits of entropy, URL-safe (22 characters).
pub fn random_id() -> String {
    B64URL.encode(random_bytes::<16>())
}

/// When a token with `exp` (unix seconds) expires, in ms since the epoch — None past what a
/// JavaScript date (and so an alarm) can hold: such a token never expires in practice.
pub fn expiry_ms(exp: u64) -> Option<u64> {
    const MAX_DATE_MS: u64 = 8_640_000_000_000_000;
    exp.checked_mul(1000).filter(|ms| *ms <= MAX_DATE_MS)
}

/// Length of a hashed [`user_tag`] in characters ('#' and 32 hex digits).
pub const USER_TAG_CHARS: usize = 33;

/// The longest id that is its own tag (a hibernatable socket's tags are at most 256 bytes, and a
/// valid id of 128 characters can be 512 bytes of UTF-8).
const RAW_TAG_MAX_BYTES: usize = 200;

/// A name for a user id that fits the runtime's tag limit: the id itself when it is short and
/// does not start with '#' (no work on the relay path: every signal looks its target up by tag),
/// else '#' and the first 128 bits of its SHA-256 in lower-case hex. The two forms never meet, so
/// no id can choose its way onto another's tag.
pub fn user_tag(user_id: &str) -> std::borrow::Cow<'_, str> {
    if user_id.len() <= RAW_TAG_MAX_BYTES && !user_id.starts_with('#') {
        return std::borrow::Cow::Borrowed(user_id);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(user_id.as_bytes());
    let mut tag = String::with_capacity(USER_TAG_CHARS);
    tag.push('#');
    for byte in &digest[..(USER_TAG_CHARS - 1) / 2] {
        tag.push(char::from(HEX[usize::from(byte >> 4)]));
        tag.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    std::borrow::Cow::Owned(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "test-secret";
    const NOW: u64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims {
            sub: "u1".into(),
            name: "Alice".into(),
            exp: NOW + 3600,
            iat: Some(NOW),
            nbf: None,
            space: None,
            role: None,
            channels: None,
        }
    }

    fn forge(header: &str, payload: &str, secret: &str) -> String {
        let h = B64URL.encode(header);
        let p = B64URL.encode(payload);
        let mut m = mac(secret);
        m.update(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", B64URL.encode(m.finalize().into_bytes()))
    }

    #[test]
    fn good_token_verifies() {
        let token = sign(&claims(), SECRET);
        assert_eq!(
            verify(&token, SECRET, NOW),
            Ok(User { id: "u1".into(), name: "Alice".into(), exp: NOW + 3600, grants: Grants::default() })
        );
    }

    #[test]
    fn an_expiry_past_what_a_date_holds_is_none() {
        assert_eq!(expiry_ms(NOW), Some(NOW * 1000));
        assert_eq!(expiry_ms(9_999_999_999), Some(9_999_999_999_000));
        assert_eq!(expiry_ms(u64::MAX / 1000 + 1), None);
        assert_eq!(expiry_ms(8_640_000_000_001), None);
    }

    fn hex_sha256(text: &str) -> String {
        Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_user_tag_fits_the_runtime_whatever_the_id() {
        let cjk = "\u{4e2d}".repeat(MAX_USER_ID_CHARS);
        let tag = user_tag(&cjk);
        assert_eq!(tag.len(), USER_TAG_CHARS);
        assert!(tag.starts_with('#') && tag[1..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        // Short ids are their own tag (no hash on the relay path)...
        assert_eq!(user_tag("u1"), "u1");
        assert_eq!(user_tag(&"a".repeat(RAW_TAG_MAX_BYTES)), "a".repeat(RAW_TAG_MAX_BYTES));
        // ...and an id spelled like a hashed tag is hashed itself: it never lands on another's tag.
        let long = "a".repeat(RAW_TAG_MAX_BYTES + 1);
        let lookalike = user_tag(&long).into_owned();
        assert_ne!(user_tag(&lookalike), lookalike.as_str());
        assert_eq!(user_tag(&lookalike).len(), USER_TAG_CHARS);
        // The hash is SHA-256's: SHA-256("#abc") starts with these 128 bits.
        assert_eq!(user_tag("#abc"), format!("#{}", &hex_sha256("#abc")[..32]));
        assert_ne!(user_tag("u1"), user_tag("u2"));
    }

    #[test]
    fn token_signed_with_another_secret_is_forged() {
        let token = sign(&claims(), "other");
        assert_eq!(verify(&token, SECRET, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn tampered_payload_is_forged() {
        let token = sign(&claims(), SECRET);
        let parts: Vec<_> = token.split('.').collect();
        let evil = B64URL.encode(r#"{"sub":"admin","name":"Admin","exp":9999999999}"#);
        let tampered = format!("{}.{}.{}", parts[0], evil, parts[2]);
        assert_eq!(verify(&tampered, SECRET, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn expired_token_is_refused() {
        let token = sign(&Claims { exp: NOW, ..claims() }, SECRET);
        assert_eq!(verify(&token, SECRET, NOW), Err(TokenError::Expired));
    }

    #[test]
    fn not_yet_valid_token_is_refused_beyond_leeway() {
        let future = sign(&Claims { nbf: Some(NOW + 61), ..claims() }, SECRET);
        assert_eq!(verify(&future, SECRET, NOW), Err(TokenError::NotYetValid));
        let within = sign(&Claims { nbf: Some(NOW + 60), ..claims() }, SECRET);
        assert!(verify(&within, SECRET, NOW).is_ok());
        let issued_later = sign(&Claims { iat: Some(NOW + 600), ..claims() }, SECRET);
        assert_eq!(verify(&issued_later, SECRET, NOW), Err(TokenError::NotYetValid));
    }

    #[test]
    fn alg_none_is_refused() {
        let h = B64URL.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let p = B64URL.encode(serde_json::to_vec(&claims()).unwrap());
        assert_eq!(verify(&format!("{h}.{p}."), SECRET, NOW), Err(TokenError::WrongAlgorithm));
    }

    #[test]
    fn wrong_algorithm_is_refused_even_when_signed() {
        let payload = serde_json::to_string(&claims()).unwrap();
        let token = forge(r#"{"alg":"HS512","typ":"JWT"}"#, &payload, SECRET);
        assert_eq!(verify(&token, SECRET, NOW), Err(TokenError::WrongAlgorithm));
    }

    #[test]
    fn missing_claims_are_refused() {
        for payload in [
            r#"{"name":"Alice","exp":1900000000}"#,
            r#"{"sub":"u1","exp":1900000000}"#,
            r#"{"sub":"u1","name":"Alice"}"#,
            r#"{"sub":"","name":"Alice","exp":1900000000}"#,
            r#"{"sub":"u1","name":"   ","exp":1900000000}"#,
            r#"{"sub":"u1","name":"Alice","exp":"soon"}"#,
        ] {
            let token = forge(r#"{"alg":"HS256"}"#, payload, SECRET);
            assert_eq!(verify(&token, SECRET, NOW), Err(TokenError::BadClaims), "{payload}");
        }
    }

    #[test]
    fn grants_ride_in_the_token_and_a_bad_one_spoils_it() {
        let payload = r#"{"sub":"u1","name":"Al","exp":1900000000,"space":"acme","role":"moderator","channels":["a"]}"#;
        let user = verify(&forge(r#"{"alg":"HS256"}"#, payload, SECRET), SECRET, NOW).unwrap();
        assert_eq!((user.grants.space.as_str(), user.grants.is_moderator()), ("acme", true));
        assert!(user.grants.allows("a") && !user.grants.allows("b"));
        for payload in [
            r#"{"sub":"u1","name":"Al","exp":1900000000,"space":"Acme"}"#,
            r#"{"sub":"u1","name":"Al","exp":1900000000,"role":"root"}"#,
            r#"{"sub":"u1","name":"Al","exp":1900000000,"channels":"a"}"#,
            r#"{"sub":"u1","name":"Al","exp":1900000000,"channels":["a/b"]}"#,
        ] {
            let token = forge(r#"{"alg":"HS256"}"#, payload, SECRET);
            assert_eq!(verify(&token, SECRET, NOW), Err(TokenError::BadClaims), "{payload}");
        }
    }

    #[test]
    fn a_host_minted_name_that_breaks_the_name_rule_is_refused() {
        for name in ["\u{200B}", "\u{3164}", "Al\u{200E}ice", "a\u{2028}b", "Z\u{0336}\u{0336}\u{0336}\u{0336}\u{0336}"]
        {
            let token = sign(&Claims { name: name.into(), ..claims() }, SECRET);
            assert_eq!(verify(&token, SECRET, NOW), Err(TokenError::BadClaims), "{name:?}");
        }
        let family = "👨\u{200D}👩\u{200D}👧";
        let token = sign(&Claims { name: family.into(), ..claims() }, SECRET);
        assert_eq!(verify(&token, SECRET, NOW).map(|u| u.name), Ok(family.to_owned()));
    }

    #[test]
    fn malformed_and_oversized_tokens_are_refused() {
        assert_eq!(verify("", SECRET, NOW), Err(TokenError::Missing));
        assert_eq!(verify("abc", SECRET, NOW), Err(TokenError::Malformed));
        assert_eq!(verify("a.b.c.d", SECRET, NOW), Err(TokenError::Malformed));
        assert_eq!(verify("!!.??.**", SECRET, NOW), Err(TokenError::Malformed));
        assert_eq!(verify(&"a".repeat(MAX_TOKEN_BYTES + 1), SECRET, NOW), Err(TokenError::TooLarge));
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(validate_name("  Alice "), Ok("Alice".into()));
        assert_eq!(validate_name("<b>Bo</b>"), Ok("<b>Bo</b>".into()));
        assert_eq!(validate_name("   "), Err(NameError::Empty));
        assert_eq!(validate_name(&"x".repeat(33)), Err(NameError::TooLong));
        assert_eq!(validate_name(&"é".repeat(32)).map(|n| n.chars().count()), Ok(32));
        assert_eq!(validate_name("a\u{0007}b"), Err(NameError::ControlCharacter));
        assert_eq!(validate_name("a\u{202E}b"), Err(NameError::ControlCharacter));
    }

    #[test]
    fn random_ids_have_128_bits() {
        let a = random_id();
        assert_eq!(a.len(), 22);
        assert_ne!(a, random_id());
    }
}
