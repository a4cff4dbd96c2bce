//! Log lines as one JSON object each (what a self-hosted log collector and Cloudflare's Workers
//! Logs both parse): `{"level", "msg", "request_id"?, ...fields}`. Never a token, a secret or a
//! query string: callers pass paths without their query and errors as they are worded here.

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// One log line: `msg` and `fields` (a field named like a fixed key, or like an earlier field,
/// is dropped). Written straight into one string: one is made per request.
pub fn line(level: Level, msg: &str, request_id: Option<&str>, fields: &[(&str, Value)]) -> String {
    let quoted = |text: &str| Value::from(text).to_string();
    let mut out = format!(r#"{{"level":"{}","msg":{}"#, level.as_str(), quoted(msg));
    if let Some(id) = request_id {
        out.push_str(&format!(r#","request_id":{}"#, quoted(id)));
    }
    let fixed = ["level", "msg", "request_id"];
    for (i, (key, value)) in fields.iter().enumerate() {
        if fixed.contains(key) || fields[..i].iter().any(|(k, _)| k == key) {
            continue;
        }
        out.push_str(&format!(",{}:{value}", quoted(key)));
    }
    out.push('}');
    out
}

/// A request id: Cloudflare's `cf-ray` when there is one (so our lines match its logs), else a
/// random one (self-hosted workerd has no ray).
pub fn request_id(cf_ray: Option<String>) -> String {
    cf_ray.filter(|ray| !ray.is_empty() && ray.len() <= 64).unwrap_or_else(|| {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = crate::auth::random_bytes::<8>();
        bytes.iter().flat_map(|b| [HEX[usize::from(b >> 4)] as char, HEX[usize::from(b & 15)] as char]).collect()
    })
}

/// Writes a line to the runtime's log (wasm only; the host tests check `line`).
#[cfg(target_arch = "wasm32")]
pub fn emit(level: Level, msg: &str, request_id: Option<&str>, fields: &[(&str, Value)]) {
    let text = line(level, msg, request_id, fields);
    match level {
        Level::Info => worker::console_log!("{text}"),
        Level::Warn => worker::console_warn!("{text}"),
        Level::Error => worker::console_error!("{text}"),
    }
}

/// The request id for the log and the `x-request-id` header: Cloudflare's `cf-ray` when there is
/// one (self-hosted it is whatever the client sent, so never trusted there), else a new one.
#[cfg(target_arch = "wasm32")]
pub fn request_id_of(req: &worker::web_sys::Request, config: &crate::config::Config) -> String {
    let ray = || req.headers().get("cf-ray").ok().flatten();
    request_id(if config.runtime == "workerd" { None } else { ray() })
}

/// The access line: one per request, never the query string (a session id) or a header.
#[cfg(target_arch = "wasm32")]
pub fn access(method: &str, path: &str, status: u16, started: u64, request_id: &str) {
    let fields = [
        ("method", method.into()),
        ("path", path.into()),
        ("status", status.into()),
        ("ms", (crate::http::now_ms() - started).into()),
    ];
    emit(Level::Info, "request", Some(request_id), &fields);
}

/// `emit` at error level for a Durable Object's failure (no request to name).
#[cfg(target_arch = "wasm32")]
pub fn error(object: &str, msg: &str, err: impl std::fmt::Display) {
    let fields = [("object", Value::from(object)), ("error", Value::from(err.to_string()))];
    emit(Level::Error, msg, None, &fields);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object() {
        let text = line(
            Level::Info,
            "request",
            Some("abc"),
            &[("status", 200.into()), ("path", "/api/x".into()), ("level", "forged".into())],
        );
        assert!(!text.contains('\n'));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["level"], "info");
        assert_eq!(v["msg"], "request");
        assert_eq!(v["request_id"], "abc");
        assert_eq!(v["status"], 200);
        let twice = line(Level::Warn, "m", None, &[("a", 1.into()), ("a", 2.into()), ("b", "x\u{1}".into())]);
        let v: Value = serde_json::from_str(&twice).unwrap();
        assert_eq!((v["a"].as_i64(), v["b"].as_str()), (Some(1), Some("x\u{1}")), "{twice}");
        let quoted = line(Level::Error, "a \"quoted\"\nline", None, &[]);
        assert_eq!(serde_json::from_str::<Value>(&quoted).unwrap()["msg"], "a \"quoted\"\nline");
        assert!(serde_json::from_str::<Value>(&quoted).unwrap().get("request_id").is_none());
    }

    #[test]
    fn the_request_id_is_the_ray_or_random() {
        assert_eq!(request_id(Some("8f1c2a-AMS".into())), "8f1c2a-AMS");
        let random = request_id(None);
        assert_eq!(random.len(), 16);
        assert!(random.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{random}");
        assert_ne!(random, request_id(Some(String::new())));
        assert_eq!(request_id(Some("x".repeat(65))).len(), 16);
    }
}
