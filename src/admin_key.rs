//! The admin API's key (`ADMIN_API_KEY`): compared in constant time. Both sides are first
//! reduced to an HMAC under a fixed key, so neither their contents nor their lengths show in the
//! time a wrong guess takes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn digest(key: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(b"cromulent-voice admin key").unwrap_or_else(|_| unreachable!());
    mac.update(key.as_bytes());
    mac
}

/// Whether `given` is `configured` (an empty `given` never is).
pub fn matches(given: &str, configured: &str) -> bool {
    let expected = digest(configured).finalize().into_bytes();
    // `verify_slice` compares in constant time.
    !given.is_empty() && digest(given).verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn only_the_exact_key_matches() {
        let key = "s3cret-admin-key-0123456789";
        assert!(matches(key, key));
        for wrong in ["", "s3cret-admin-key-012345678", "s3cret-admin-key-01234567890", "S3cret-admin-key-0123456789"] {
            assert!(!matches(wrong, key), "{wrong}");
        }
    }
}
