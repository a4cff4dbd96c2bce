//! `AppError`: every HTTP error the worker answers, as a status and the contract's JSON body
//! `{"error": "<human sentence>", "reason": "<snake_case>"}`.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub status: u16,
    pub reason: &'static str,
    pub message: String,
}

#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub reason: &'a str,
}

impl AppError {
    pub fn new(status: u16, reason: &'static str, message: impl Into<String>) -> Self {
        AppError { status, reason, message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }
    pub fn not_found() -> Self {
        Self::new(404, "not_found", "no such route")
    }
    pub fn unknown_channel(id: &str) -> Self {
        // The id is echoed as JSON text, never HTML.
        Self::new(404, "unknown_channel", format!("there is no voice channel {id:?}"))
    }
    pub fn not_configured() -> Self {
        Self::new(503, "not_configured", "the server has no AUTH_SECRET configured")
    }
    pub fn internal() -> Self {
        Self::new(500, "internal", "something went wrong on our side")
    }

    pub fn body(&self) -> String {
        serde_json::to_string(&ErrorBody { error: &self.message, reason: self.reason }).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_error_and_reason() {
        let body = AppError::unknown_channel("x\"<y>").body();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["reason"], "unknown_channel");
        assert!(v["error"].as_str().unwrap().contains("<y>"));
    }
}
