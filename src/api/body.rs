//! Reading a request body without trusting its size: a declared length over the limit is
//! refused before anything is read (and drained, so the client sees the answer), a chunked one
//! while it is read; never more than the limit plus one chunk is copied into the worker.

use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::ReadableStreamDefaultReader;
use worker::Request;

use crate::error::AppError;

/// A declared body up to this size that is refused is still read to its end (and dropped, never
/// copied into wasm) before the 413, so a client that is still sending sees the answer; a larger
/// one is refused at once. (A chunked body is refused after the limit and released: reading it on
/// grew workerd by 18 MiB for 2 MiB drained, `tests/faults/chunked-body.test.mjs`.)
const MAX_DRAINED_BODY: usize = 2 * 1024 * 1024;

pub fn too_large() -> AppError {
    AppError::new(413, "too_large", "the body is too large")
}

/// The body, read from the stream up to `limit` bytes: a longer one, chunked or not, is refused
/// after at most `limit` bytes plus one chunk, and the rest is never read into the worker. The
/// stream is released, not cancelled: a cancelled upload makes workerd drop the connection, and a
/// client still sending loses the 413 with it (the runtime discards what is left).
pub async fn read_limited(req: &Request, limit: usize) -> Result<Vec<u8>, AppError> {
    let Some(stream) = req.inner().body() else { return Ok(Vec::new()) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let unreadable = |_| AppError::bad_request("could not read the body");
    let mut body = Vec::new();
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(unreadable)?;
        if Reflect::get(&step, &"done".into()).map_err(unreadable)?.is_truthy() {
            return Ok(body);
        }
        let chunk: Uint8Array = Reflect::get(&step, &"value".into()).and_then(|v| v.dyn_into()).map_err(unreadable)?;
        if body.len() + chunk.length() as usize > limit {
            reader.release_lock();
            return Err(too_large());
        }
        body.extend_from_slice(&chunk.to_vec());
    }
}

/// Reads and drops what the client is still uploading until `cap` bytes were seen in all
/// (`seen` so far), then releases the stream. Answering before an upload ends and closing makes
/// the client's kernel see a reset that can swallow the answer (a lingering close, as web servers do).
pub async fn drain(reader: &ReadableStreamDefaultReader, mut seen: usize, cap: usize) {
    while seen <= cap {
        let Ok(step) = JsFuture::from(reader.read()).await else { break };
        if Reflect::get(&step, &"done".into()).map_or(true, |d| d.is_truthy()) {
            break;
        }
        let chunk = Reflect::get(&step, &"value".into()).ok().and_then(|v| v.dyn_into::<Uint8Array>().ok());
        seen += chunk.map_or(cap + 1, |c| c.length() as usize);
    }
    reader.release_lock();
}

/// The body of a JSON request, at most `limit` bytes: 400 without a JSON content type, 413 when
/// longer (declared or read).
pub async fn json_body(req: &Request, limit: usize) -> Result<Vec<u8>, AppError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let content_type = header("content-type").unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(AppError::bad_request("send the body as application/json"));
    }
    let declared = header("content-length").and_then(|l| l.parse::<usize>().ok()).unwrap_or(0);
    if declared > limit {
        if let (true, Some(stream)) = (declared <= MAX_DRAINED_BODY, req.inner().body()) {
            drain(&stream.get_reader().unchecked_into(), 0, MAX_DRAINED_BODY).await;
        }
        return Err(too_large());
    }
    read_limited(req, limit).await
}
