//! How the objects keep structured values in storage and socket attachments: as a JSON string,
//! one value to hand to the runtime (a JS object built through the bindings costs a crossing per
//! field, per member, per write, and reading it back as many). Values written before this were
//! JS objects: they are still read.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A stored value as read back: JSON text (now) or the object itself (before).
#[derive(Deserialize, Debug)]
#[serde(untagged)]
pub enum Stored<T> {
    Json(String),
    Object(T),
}

impl<T: DeserializeOwned + Serialize> Stored<T> {
    /// The value, whichever way it was stored (an error names what did not parse).
    pub fn into_value(self) -> Result<T, String> {
        match self {
            Stored::Json(text) => serde_json::from_str(&text).map_err(|e| format!("stored JSON: {e}")),
            Stored::Object(value) => Ok(value),
        }
    }

    /// The value of `js` as the runtime handed it back (a string now, an object before).
    #[cfg(target_arch = "wasm32")]
    pub fn from_js(js: &wasm_bindgen::JsValue) -> Result<T, String> {
        let text = match js.as_string() {
            Some(text) => text,
            None => js_sys::JSON::stringify(js).map(String::from).map_err(|e| format!("stored value: {e:?}"))?,
        };
        serde_json::from_str(&text).map_err(|e| format!("stored JSON: {e}"))
    }

    /// The text to store for `value`.
    pub fn json(value: &T) -> String {
        // Our own types serialize infallibly (no maps with non-string keys, no custom errors).
        serde_json::to_string(value).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Entry {
        id: String,
        seen: u64,
    }

    #[test]
    fn both_forms_read_back() {
        let entries = vec![Entry { id: "u_1".into(), seen: 7 }, Entry { id: "u_\"2".into(), seen: 8 }];
        // What a write stores now: one string.
        let text = serde_json::Value::String(Stored::json(&entries));
        let now: Stored<Vec<Entry>> = serde_json::from_value(text).unwrap();
        assert_eq!(now.into_value().unwrap(), entries);
        // What older writes stored: the value itself.
        let before: Stored<Vec<Entry>> = serde_json::from_value(serde_json::to_value(&entries).unwrap()).unwrap();
        assert_eq!(before.into_value().unwrap(), entries);
    }

    #[test]
    fn a_damaged_string_is_an_error_not_a_panic() {
        let bad: Stored<Vec<Entry>> = serde_json::from_value(serde_json::json!("[{\"id\":")).unwrap();
        assert!(bad.into_value().unwrap_err().starts_with("stored JSON"));
    }
}
