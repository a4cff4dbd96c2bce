//! The relay fast path's parser: a `signal` or `speaking` frame read in one pass, without building
//! a value and without copying the payload (the room splices it raw into the frame it relays).
//! It says yes only where [`parse_client_msg`](super::parse_client_msg) accepts the same frame as
//! the same message, with the same fields (tests/fuzz.rs checks both directions); for anything
//! else it says None and the room's full path parses the frame and answers it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::MAX_FRAME_BYTES;

/// Deepest payload nesting the fast path passes on raw (it builds no value, so serde_json's own
/// limit of 128 levels never applies to it); deeper payloads take the full path, which refuses
/// anything past 128 levels with `bad_message`.
pub const MAX_NESTING: usize = 64;

/// Longest run of digits the fast path lets through: a longer number may be past f64's range,
/// which the full parser refuses.
const MAX_DIGITS: usize = 300;

/// A frame the room can relay as it is.
#[derive(Debug)]
pub enum Relay<'a> {
    /// `{"type":"signal","to":…,"payload":{…}}`: `to` unescaped (borrowed when it has no escapes),
    /// `payload` exactly as the client wrote it.
    Signal { to: Cow<'a, str>, payload: &'a RawValue },
    /// `{"type":"speaking","speaking":…}`.
    Speaking(bool),
}

/// Reads `text` from the member `self_id` as a relayable `signal` or `speaking`. None for every
/// frame the full parser refuses, for every other message type, and for the few well-formed
/// frames the full parser must judge because this pass does not build their values: arrays or
/// objects nested past [`MAX_NESTING`], `\u` escapes of UTF-16 surrogates, numbers with an
/// exponent or more than 300 digits, and the array form serde also accepts
/// (`["signal", to, payload]`).
pub fn parse_relay<'a>(text: &'a str, self_id: &str) -> Option<Relay<'a>> {
    if text.len() > MAX_FRAME_BYTES {
        return None;
    }
    let fields: Fields<'a> = serde_json::from_str(text).ok()?;
    // The top-level object adds one level to the payload's.
    if !plain_within(text, MAX_NESTING + 1) {
        return None;
    }
    // A duplicate key is an error only where the message type has that field (serde ignores
    // unknown fields, duplicates included).
    match fields.kind?.as_ref() {
        "signal" if !fields.dup_to && !fields.dup_payload => {
            let to = string_value(fields.to?)?;
            let payload = fields.payload?;
            (payload.get().starts_with('{') && !to.is_empty() && to != self_id).then_some(Relay::Signal { to, payload })
        }
        "speaking" if !fields.dup_speaking => match fields.speaking?.get() {
            "true" => Some(Relay::Speaking(true)),
            "false" => Some(Relay::Speaking(false)),
            _ => None,
        },
        _ => None,
    }
}

/// A raw JSON value as a string: borrowed as it stands when it has no escapes (serde_json has
/// checked it: a raw value is trimmed and valid), else unescaped. None if it is not a string.
fn string_value(raw: &RawValue) -> Option<Cow<'_, str>> {
    let json = raw.get();
    match json.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(plain) if !plain.contains('\\') => Some(Cow::Borrowed(plain)),
        _ => serde_json::from_str::<CowStr>(json).ok().map(|s| s.0),
    }
}

/// Whether `json` (already valid JSON) holds nothing that serde_json accepts while skipping a
/// value but refuses while building one, and nests at most `max` deep: no `\u` escape of a UTF-16
/// surrogate (a lone one is refused), no number with an exponent or a run of more than
/// [`MAX_DIGITS`] digits (past f64's range is refused). Strings are skipped.
pub fn plain_within(json: &str, max: usize) -> bool {
    let bytes = json.as_bytes();
    let (mut depth, mut in_string, mut digits) = (0usize, false, 0usize);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if in_string {
            match b {
                b'\\' => {
                    let surrogate = bytes.get(i) == Some(&b'u')
                        && matches!(bytes.get(i + 1), Some(b'd' | b'D'))
                        && matches!(bytes.get(i + 2), Some(b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'));
                    if surrogate {
                        return false;
                    }
                    i += 1; // the escaped character, which may be a quote
                }
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits > MAX_DIGITS {
                    return false;
                }
                continue;
            }
            // Outside strings, only an exponent puts a letter right after a digit.
            b'e' | b'E' if digits > 0 => return false,
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        digits = 0;
    }
    true
}

/// The top-level fields the fast path reads, each kept raw until the message type is known.
#[derive(Default)]
struct Fields<'a> {
    kind: Option<Cow<'a, str>>,
    to: Option<&'a RawValue>,
    payload: Option<&'a RawValue>,
    speaking: Option<&'a RawValue>,
    dup_to: bool,
    dup_payload: bool,
    dup_speaking: bool,
}

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
        let mut fields = Fields::default();
        /// Keeps the first value of a raw field and notes a second one.
        fn keep<'de>(slot: &mut Option<&'de RawValue>, dup: &mut bool, value: &'de RawValue) {
            if slot.is_some() {
                *dup = true;
            } else {
                *slot = Some(value);
            }
        }
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => {
                    // serde refuses a second tag whatever the message type.
                    if fields.kind.is_some() {
                        return Err(de::Error::duplicate_field("type"));
                    }
                    fields.kind = Some(map.next_value::<CowStr>()?.0);
                }
                Key::To => keep(&mut fields.to, &mut fields.dup_to, map.next_value()?),
                Key::Payload => keep(&mut fields.payload, &mut fields.dup_payload, map.next_value()?),
                Key::Speaking => keep(&mut fields.speaking, &mut fields.dup_speaking, map.next_value()?),
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(fields)
    }
}

/// A top-level key, unescaped.
enum Key {
    Type,
    To,
    Payload,
    Speaking,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "type" => Key::Type,
                    "to" => Key::To,
                    "payload" => Key::Payload,
                    "speaking" => Key::Speaking,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A JSON string, borrowed from the frame unless it had escapes.
struct CowStr<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Owned(s.to_owned())))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(text: &str) -> Option<(String, String)> {
        match parse_relay(text, "me")? {
            Relay::Signal { to, payload } => Some((to.into_owned(), payload.get().to_owned())),
            Relay::Speaking(_) => None,
        }
    }

    #[test]
    fn nesting_is_measured_outside_strings() {
        assert!(plain_within(r#"{"a":[{"b":1}]}"#, 3));
        assert!(!plain_within(r#"{"a":[{"b":1}]}"#, 2));
        assert!(plain_within(r#"{"s":"[[[[[[\"[[["}"#, 1));
        assert!(!plain_within(&format!("{{\"x\":{}{}}}", "[".repeat(100), "]".repeat(100)), MAX_NESTING));
    }

    #[test]
    fn a_signal_keeps_its_payload_raw_and_its_to_unescaped() {
        let got = signal(r#"{"payload":{"sdp":"v=0\r\n"} ,"to":"b\u006fb","type":"signal"}"#);
        assert_eq!(got, Some(("bob".into(), r#"{"sdp":"v=0\r\n"}"#.into())));
    }

    #[test]
    fn speaking_is_read_as_a_bool() {
        assert!(matches!(parse_relay(r#"{"type":"speaking","speaking":true}"#, "me"), Some(Relay::Speaking(true))));
        assert!(parse_relay(r#"{"type":"speaking","speaking":"yes"}"#, "me").is_none());
        // Fields of other messages are ignored, as serde does.
        assert!(parse_relay(r#"{"type":"speaking","speaking":false,"to":5,"to":6}"#, "me").is_some());
    }

    #[test]
    fn what_the_full_parser_refuses_is_not_relayed() {
        for text in [
            r#"{"type":"signal","to":"me","payload":{}}"#,
            r#"{"type":"signal","to":"m\u0065","payload":{}}"#,
            r#"{"type":"signal","to":"","payload":{}}"#,
            r#"{"type":"signal","to":"bob","payload":"sdp"}"#,
            r#"{"type":"signal","to":"bob","to":"eve","payload":{}}"#,
            r#"{"type":"signal","type":"signal","to":"bob","payload":{}}"#,
            r#"{"type":"signal","to":"bob","payload":{},"payload":{}}"#,
            r#"{"type":"signal","to":7,"payload":{}}"#,
            r#"{"type":"signal","payload":{}}"#,
            r#"{"type":"speaking","speaking":true,"speaking":true}"#,
            r#"{"type":5,"speaking":true}"#,
            r#"{"type":"state","muted":true,"deafened":true}"#,
            r#"{"type":"signal","to":"bob","payload":{}} x"#,
        ] {
            assert!(parse_relay(text, "me").is_none(), "{text}");
        }
    }

    #[test]
    fn values_only_a_full_parse_can_judge_go_to_the_full_path() {
        for text in [
            r#"{"type":"signal","to":"bob","payload":{"x":1e400}}"#,
            r#"{"type":"signal","to":"bob","payload":{"x":"\ud800"}}"#,
            r#"{"type":"speaking","speaking":true,"x":"\uDC00"}"#,
            r#"["signal","bob",{}]"#,
        ] {
            assert!(parse_relay(text, "me").is_none(), "{text}");
        }
        let deep = |n: usize| {
            format!(r#"{{"type":"signal","to":"bob","payload":{}{}}}"#, "{\"a\":".repeat(n) + "{", "}".repeat(n + 1))
        };
        assert!(signal(&deep(MAX_NESTING - 1)).is_some());
        assert!(signal(&deep(MAX_NESTING)).is_none());
    }

    #[test]
    fn an_oversized_frame_is_not_read() {
        let big = format!(r#"{{"type":"signal","to":"bob","payload":{{"sdp":"{}"}}}}"#, "x".repeat(MAX_FRAME_BYTES));
        assert!(parse_relay(&big, "me").is_none());
    }
}
