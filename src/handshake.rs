//! Who may open a WebSocket: the Origin rule and the subprotocol list that carries the token
//! (`["voice.v1", "bearer.<jwt>"]`: browsers cannot set headers on a WebSocket, and a token in
//! the URL would end up in logs).

use crate::error::AppError;
use crate::protocol::{BEARER_PREFIX, SUBPROTOCOL};

/// A missing Origin (non-browser clients) is allowed; a present one must be the page's own origin
/// or one of `ALLOWED_ORIGINS`.
pub fn check_origin(origin: Option<&str>, own_origin: &str, allowed: &[String]) -> Result<(), AppError> {
    match origin {
        None => Ok(()),
        Some(o) if o.eq_ignore_ascii_case(own_origin) || allowed.iter().any(|a| a == o) => Ok(()),
        Some(_) => Err(AppError::new(403, "forbidden_origin", "this origin may not open voice sockets")),
    }
}

/// Reads `Sec-WebSocket-Protocol`; returns the bearer token, or 400 without `voice.v1` and 401
/// without a `bearer.` entry.
pub fn bearer_from_subprotocols(header: Option<&str>) -> Result<&str, AppError> {
    let entries: Vec<&str> = header.unwrap_or("").split(',').map(str::trim).collect();
    if !entries.contains(&SUBPROTOCOL) {
        return Err(AppError::bad_request(format!("offer the {SUBPROTOCOL} subprotocol")));
    }
    entries
        .iter()
        .find_map(|e| e.strip_prefix(BEARER_PREFIX))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::unauthorized("a bearer.<token> subprotocol entry is required"))
}

/// Reads `Authorization: Bearer <token>`.
pub fn bearer_from_header(header: Option<&str>) -> Result<&str, AppError> {
    header
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::unauthorized("an Authorization: Bearer <token> header is required"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_origin_is_allowed() {
        assert!(check_origin(None, "http://localhost:8787", &[]).is_ok());
    }

    #[test]
    fn own_and_listed_origins_are_allowed() {
        assert!(check_origin(Some("http://localhost:8787"), "http://localhost:8787", &[]).is_ok());
        let allowed = vec!["https://app.example".to_string()];
        assert!(check_origin(Some("https://app.example"), "http://localhost:8787", &allowed).is_ok());
    }

    #[test]
    fn foreign_origin_is_forbidden() {
        let err = check_origin(Some("https://evil.example"), "http://localhost:8787", &[]).unwrap_err();
        assert_eq!((err.status, err.reason), (403, "forbidden_origin"));
        // Same host, other port or scheme, is another origin.
        assert!(check_origin(Some("http://localhost:9999"), "http://localhost:8787", &[]).is_err());
        assert!(check_origin(Some("https://localhost:8787"), "http://localhost:8787", &[]).is_err());
    }

    #[test]
    fn token_rides_in_the_subprotocol_list() {
        assert_eq!(bearer_from_subprotocols(Some("voice.v1, bearer.abc.def.ghi")), Ok("abc.def.ghi"));
    }

    #[test]
    fn subprotocol_list_without_voice_v1_is_a_bad_request() {
        let err = bearer_from_subprotocols(Some("bearer.abc")).unwrap_err();
        assert_eq!((err.status, err.reason), (400, "bad_request"));
        assert_eq!(bearer_from_subprotocols(None).unwrap_err().status, 400);
    }

    #[test]
    fn subprotocol_list_without_bearer_is_unauthorized() {
        assert_eq!(bearer_from_subprotocols(Some("voice.v1")).unwrap_err().status, 401);
        assert_eq!(bearer_from_subprotocols(Some("voice.v1, bearer.")).unwrap_err().status, 401);
    }

    #[test]
    fn authorization_header_needs_bearer() {
        assert_eq!(bearer_from_header(Some("Bearer t")), Ok("t"));
        assert_eq!(bearer_from_header(Some("Basic t")).unwrap_err().status, 401);
        assert_eq!(bearer_from_header(None).unwrap_err().status, 401);
    }
}
