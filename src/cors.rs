//! Cross-origin host apps (contract v1.1): for an `Origin` in `ALLOWED_ORIGINS`, the client
//! module and every static file it imports, and the API routes a page uses, answer with CORS so
//! a host page on another origin can `import { VoiceRoom } from "https://voice.example.com/voice.js"`.
//! Nothing else gets CORS: not the admin API (server to server), not another origin. No
//! credentials: the API takes bearer tokens, never cookies.

/// The routes a page calls with `fetch` (WebSockets need no CORS: their Origin is checked).
const PAGE_API_ROUTES: [&str; 3] = ["/api/session", "/api/channels", "/api/ice-servers"];

/// How long a browser may cache a preflight answer.
pub const MAX_AGE_SECS: &str = "600";

/// Whether `path` may answer a cross-origin page: a static file or one of the page's API routes.
pub fn is_cors_path(path: &str) -> bool {
    !(path == "/api" || path.starts_with("/api/")) || PAGE_API_ROUTES.contains(&path)
}

/// The request's `Origin` when it is one of `allowed` (compared as browsers write origins:
/// case-insensitively, no trailing slash).
pub fn allowed_origin<'a>(origin: Option<&'a str>, allowed: &[String]) -> Option<&'a str> {
    origin.filter(|o| !o.is_empty() && allowed.iter().any(|a| a.eq_ignore_ascii_case(o)))
}

/// The headers an allowed origin's answer carries.
pub fn response_headers(origin: &str) -> [(&'static str, String); 2] {
    [("access-control-allow-origin", origin.to_owned()), ("vary", "Origin".to_owned())]
}

/// The headers of a preflight (`OPTIONS`) answer to an allowed origin.
pub fn preflight_headers(origin: &str) -> [(&'static str, String); 5] {
    let [allow, vary] = response_headers(origin);
    [
        allow,
        vary,
        ("access-control-allow-methods", "GET, POST, OPTIONS".to_owned()),
        ("access-control-allow-headers", "Authorization, Content-Type".to_owned()),
        ("access-control-max-age", MAX_AGE_SECS.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_static_files_and_the_page_routes_get_cors() {
        for path in ["/voice.js", "/peer.js", "/", "/css/style.css", "/types/voice.d.ts"] {
            assert!(is_cors_path(path), "{path}");
        }
        for path in ["/api/session", "/api/channels", "/api/ice-servers"] {
            assert!(is_cors_path(path), "{path}");
        }
        for path in [
            "/api",
            "/api/admin/tokens",
            "/api/admin/spaces/a/channels",
            "/api/health",
            "/api/lobby",
            "/api/channels/general/voice",
            "/api/sessions",
        ] {
            assert!(!is_cors_path(path), "{path}");
        }
    }

    #[test]
    fn only_a_listed_origin_is_allowed() {
        let allowed = vec!["https://app.example.com".to_owned(), "http://127.0.0.1:8788".to_owned()];
        assert_eq!(allowed_origin(Some("https://app.example.com"), &allowed), Some("https://app.example.com"));
        assert_eq!(allowed_origin(Some("HTTPS://APP.example.com"), &allowed), Some("HTTPS://APP.example.com"));
        assert_eq!(allowed_origin(Some("http://127.0.0.1:8788"), &allowed), Some("http://127.0.0.1:8788"));
        for other in
            ["https://evil.example.com", "https://app.example.com.evil.com", "null", "", "http://127.0.0.1:8789"]
        {
            assert_eq!(allowed_origin(Some(other), &allowed), None, "{other}");
        }
        assert_eq!(allowed_origin(None, &allowed), None);
        assert_eq!(allowed_origin(Some("https://app.example.com"), &[]), None);
    }

    #[test]
    fn a_preflight_allows_the_bearer_header_and_json() {
        let headers = preflight_headers("https://app.example.com");
        let get = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("access-control-allow-origin"), Some("https://app.example.com"));
        assert_eq!(get("vary"), Some("Origin"));
        assert!(get("access-control-allow-headers").unwrap().contains("Authorization"));
        assert!(get("access-control-allow-headers").unwrap().contains("Content-Type"));
        assert_eq!(get("access-control-allow-credentials"), None);
    }
}
