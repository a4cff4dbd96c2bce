//! Query strings on the join path without a URL parser: the runtime hands us URLs it has already
//! parsed and serialized (WHATWG), so the query is what follows the first `?` up to any `#`, and
//! its pairs are `application/x-www-form-urlencoded`. Parsing a whole URL (`url` crate) several
//! times per join cost more than the rest of the worker's routing; this reads it once.

use std::borrow::Cow;

/// The decoded pairs of a query string, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// The query of a serialized URL (empty when it has none).
    pub fn of_url(url: &str) -> Query {
        let after = url.split_once('?').map_or("", |(_, q)| q);
        let query = after.split_once('#').map_or(after, |(q, _)| q);
        Query(form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        self.0.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str())))
    }

    /// Whether `key` is given with exactly `value` (any of its occurrences).
    pub fn has(&self, key: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == key && v == value)
    }
}

/// The path of a serialized URL with an authority (`/` when it has none).
pub fn path_of(url: &str) -> &str {
    let Some((_, rest)) = url.split_once("://") else { return "/" };
    let rest = &rest[rest.find(['/', '?', '#']).unwrap_or(rest.len())..];
    let path = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// `base` (a path, or a URL without a query) with `pairs` as its encoded query.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::for_suffix(format!("{base}?"), base.len() + 1);
    for (key, value) in pairs {
        out.append_pair(key, value);
    }
    out.finish()
}

/// The origin (`scheme://host[:port]`) of a serialized URL with an authority, lower-cased as the
/// runtime serializes it; None for anything else.
pub fn origin_of(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // Credentials (`user:pass@`) are never part of an origin; the runtime keeps them, we do not.
    if authority.is_empty() || authority.contains('@') || scheme.is_empty() {
        return None;
    }
    Some(&url[..scheme.len() + 3 + end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_decoded_once_in_order() {
        let q =
            Query::of_url("https://h.example/api/channels/general/voice?session=abc&x=%41+b&resume=1&resume=0#frag");
        assert_eq!(q.get("session"), Some("abc"));
        assert_eq!(q.get("x"), Some("A b"));
        assert_eq!(q.get("resume"), Some("1"));
        assert!(q.has("resume", "0") && q.has("resume", "1") && !q.has("resume", "2"));
        assert_eq!(q.get("frag"), None);
        assert_eq!(q.pairs().map(|(k, _)| k.into_owned()).collect::<Vec<_>>(), ["session", "x", "resume", "resume"]);
        assert_eq!(Query::of_url("https://h.example/path"), Query::default());
        assert_eq!(Query::of_url("https://h.example/?#a=b").get("a"), None);
    }

    #[test]
    fn a_built_query_reads_back() {
        let name = "Zoë & \"Bob\" ?=#+%";
        let url = with_query("https://internal/join", &[("channel", "general"), ("name", name), ("user", "u_1")]);
        assert!(url.starts_with("https://internal/join?channel=general&name="), "{url}");
        assert!(!url[url.find('?').unwrap() + 1..].contains(['#', ' ', '"', '?']));
        let q = Query::of_url(&url);
        assert_eq!(q.get("name"), Some(name));
        assert_eq!(q.get("user"), Some("u_1"));
    }

    #[test]
    fn the_path_ends_at_the_query() {
        assert_eq!(path_of("https://internal/join?channel=a/b"), "/join");
        assert_eq!(path_of("https://internal/rooms/general#x"), "/rooms/general");
        assert_eq!(path_of("https://internal"), "/");
        assert_eq!(path_of("https://internal?x=/y"), "/");
        assert_eq!(path_of("nonsense"), "/");
    }

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        assert_eq!(origin_of("https://voice.example/api/x?y=1"), Some("https://voice.example"));
        assert_eq!(origin_of("http://127.0.0.1:8787/api"), Some("http://127.0.0.1:8787"));
        assert_eq!(origin_of("http://[::1]:8787?q"), Some("http://[::1]:8787"));
        assert_eq!(origin_of("https://a.example"), Some("https://a.example"));
        assert_eq!(origin_of("https://u:p@a.example/"), None);
        assert_eq!(origin_of("/relative"), None);
        assert_eq!(origin_of("https:///x"), None);
    }
}
