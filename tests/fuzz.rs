//! Property tests over untrusted input: the protocol parser, token verification and the presence
//! rules never panic and keep their invariants, whatever arrives; the relay fast path's parser
//! agrees with the full one. CI runs the default number of
//! cases; a full run: `PROPTEST_CASES=10000000 cargo test --release --test fuzz` (see tests/README.md).

use cromulent_voice::auth;
use cromulent_voice::presence::{Link, Presence, Timing};
use cromulent_voice::protocol::{parse_client_msg, parse_relay, ClientMsg, Reason, Relay, MAX_NESTING};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// JSON-shaped text near the protocol, to reach deep into the parser.
fn json_like() -> impl Strategy<Value = String> {
    let ty = prop_oneof![
        Just("signal"),
        Just("state"),
        Just("speaking"),
        Just("leave"),
        Just("ping"),
        Just(""),
        Just("SIGNAL"),
        ".{0,8}".prop_map(|s| Box::leak(s.into_boxed_str()) as &str)
    ];
    let value = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        ".{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("{}".to_string()),
        Just(r#"{"sdp":"v=0"}"#.to_string()),
        Just("[1,2]".to_string()),
    ];
    let field = prop_oneof![
        Just("to"),
        Just("payload"),
        Just("muted"),
        Just("deafened"),
        Just("speaking"),
        Just("from"),
        Just("x")
    ];
    (ty, prop::collection::vec((field, value), 0..5)).prop_map(|(ty, fields)| {
        let mut parts = vec![format!(r#""type":{}"#, serde_json::to_string(ty).unwrap())];
        parts.extend(fields.into_iter().map(|(k, v)| format!(r#""{k}":{v}"#)));
        format!("{{{}}}", parts.join(","))
    })
}

/// A JSON value for a frame's field, and whether only a full parse can judge it (the fast path
/// then leaves the frame to the full parser): nesting past `MAX_NESTING`, a surrogate escape
/// (even a well-formed pair), a number with an exponent or past f64's range.
fn field_value() -> impl Strategy<Value = (String, bool)> {
    let plain = prop_oneof![
        Just(r#"{}"#),
        Just(r#"{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1"}"#),
        Just(r#"{"candidate":{"candidate":"c","sdpMid":"0","sdpMLineIndex":0}}"#),
        Just(r#"{"a":{"b":[1,2,{"c":null}],"d":-0.5},"e":"}\"{"}"#),
        Just(r#"{"k":1,"k":2}"#),
        Just(r#" { "spaced" : [ ] } "#),
        Just(r#"{"x":"b\u00f8b ø 😀"}"#),
        Just(r#""bob""#),
        Just(r#""me""#),
        Just(r#""m\u0065""#),
        Just(r#""b\u006fb""#),
        Just(r#""b\"ob""#),
        Just(r#""bøb""#),
        Just(r#""""#),
        Just("true"),
        Just("false"),
        Just(r#""true""#),
        Just("null"),
        Just("7"),
        Just("-12.25"),
        Just("[1,{}]"),
        Just("[]"),
    ]
    .prop_map(|v| (v.to_string(), false));
    let strict_only = prop_oneof![
        Just(r#"{"x":1e400}"#),
        Just(r#"{"x":1.5E3}"#),
        Just(r#"{"x":"\ud800"}"#),
        Just(r#"{"x":"\uDC00 lone"}"#),
        Just(r#""\ud83d\ude00""#),
        Just(r#"{"x":"\ud83d\ude00"}"#),
    ]
    .prop_map(|v| (v.to_string(), true));
    let big = (280usize..320).prop_map(|n| (format!(r#"{{"n":1{}}}"#, "0".repeat(n)), n + 1 > 300));
    // Objects nested `depth` deep, around the fast path's limit.
    let deep = (MAX_NESTING - 3..MAX_NESTING + 3).prop_map(|depth| {
        (format!("{}{}", r#"{"a":"#.repeat(depth - 1) + "{", "}".repeat(depth)), depth > MAX_NESTING)
    });
    prop_oneof![6 => plain, 1 => strict_only, 1 => big, 1 => deep]
}

/// A frame near `signal`/`speaking`: built around a well-formed one, with keys spelled plainly or
/// with escapes, in any order, some twice or missing, values of the right and the wrong types,
/// other fields; and whether only a full parse can judge it.
fn relay_like() -> impl Strategy<Value = (String, bool)> {
    let kind = prop_oneof![
        8 => Just(r#""signal""#),
        8 => Just(r#""speaking""#),
        1 => Just(r#""sig\u006eal""#),
        1 => Just(r#""state""#),
        1 => Just(r#""Signal""#),
        1 => Just("0"),
    ]
    .prop_map(|k| (k.to_string(), false));
    let to = prop_oneof![
        6 => Just(r#""bob""#),
        1 => Just(r#""me""#),
        1 => Just(r#""m\u0065""#),
        1 => Just(r#""b\u006fb""#),
        1 => Just(r#""""#),
        1 => Just("7"),
    ]
    .prop_map(|v| (v.to_string(), false));
    let speaking = prop_oneof![4 => Just("true"), 4 => Just("false"), 1 => Just(r#""true""#), 1 => Just("1")]
        .prop_map(|v| (v.to_string(), false));
    let key = |plain: &'static str, escaped: &'static str| prop_oneof![5 => Just(plain), 1 => Just(escaped)];
    // Each field: how often it appears (0, 1 or 2 times) and its values.
    let times = || prop_oneof![1 => Just(0usize), 8 => Just(1usize), 1 => Just(2usize)];
    let field = |k, v: BoxedStrategy<(String, bool)>| (k, prop::collection::vec(v, 2), times());
    (
        field(key(r#""type""#, r#""typ\u0065""#), kind.boxed()),
        field(key(r#""to""#, r#""t\u006f""#), to.boxed()),
        field(key(r#""payload""#, r#""p\u0061yload""#), field_value().boxed()),
        field(key(r#""speaking""#, r#""speakin\u0067""#), speaking.boxed()),
        prop::collection::vec((prop_oneof![Just(r#""x""#), Just(r#""muted""#)], field_value()), 0..3),
        any::<prop::sample::Index>(),
        0u8..16,
    )
        .prop_map(|(ty, to, payload, speaking, extra, order, form)| {
            let mut parts: Vec<(String, (String, bool))> = Vec::new();
            for (key, values, times) in [ty, to, payload, speaking] {
                parts.extend(values.into_iter().take(times).map(|v| (key.to_string(), v)));
            }
            parts.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
            let rotate = order.index(parts.len().max(1));
            parts.rotate_left(rotate);
            if rotate % 2 == 1 {
                parts.reverse();
            }
            if form == 0 {
                // The array form serde also accepts for tagged enums: left to the full parser.
                let items: Vec<_> = parts.iter().map(|(_, (v, _))| v.as_str()).collect();
                return (format!("[{}]", items.join(",")), true);
            }
            let strict_only = parts.iter().any(|(_, (_, s))| *s);
            let fields: Vec<_> = parts.iter().map(|(k, (v, _))| format!("{k}:{v}")).collect();
            (format!("{{{}}}", fields.join(",")), strict_only)
        })
}

/// `parse_relay` relays only what `parse_client_msg` accepts as the same message with the same
/// fields; with `complete`, it also relays every signal and speaking the full parser accepts.
fn relay_agrees(text: &str, complete: bool) -> Result<(), TestCaseError> {
    match (parse_relay(text, "me"), parse_client_msg(text, "me")) {
        (Some(Relay::Signal { to, payload }), Ok(ClientMsg::Signal { to: full_to, payload: full_payload })) => {
            prop_assert_eq!(to.as_ref(), full_to.as_str());
            let raw: serde_json::Value =
                serde_json::from_str(payload.get()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(raw, full_payload);
        }
        (Some(Relay::Speaking(speaking)), Ok(ClientMsg::Speaking { speaking: full })) => {
            prop_assert_eq!(speaking, full)
        }
        (Some(fast), full) => prop_assert!(false, "the fast path read {:?}, the full parser {:?}", fast, full),
        (None, Ok(msg @ (ClientMsg::Signal { .. } | ClientMsg::Speaking { .. }))) if complete => {
            prop_assert!(false, "the fast path left a plain {:?} to the full path", msg)
        }
        (None, _) => {}
    }
    Ok(())
}

proptest! {
    #[test]
    fn relay_parser_accepts_exactly_what_the_full_parser_accepts((text, strict_only) in relay_like()) {
        relay_agrees(&text, !strict_only)?;
    }

    #[test]
    fn relay_parser_relays_nothing_the_full_parser_refuses(text in prop_oneof![".{0,300}", json_like()]) {
        relay_agrees(&text, false)?;
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in ".{0,300}") {
        let _ = parse_client_msg(&text, "me");
    }

    #[test]
    fn parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_client_msg(&text, "me");
    }

    #[test]
    fn parser_accepts_only_valid_messages(text in json_like()) {
        match parse_client_msg(&text, "me") {
            Ok(ClientMsg::Signal { to, payload }) => {
                prop_assert!(!to.is_empty() && to != "me");
                prop_assert!(payload.is_object());
            }
            Ok(_) => {}
            Err(err) => prop_assert!(matches!(err.reason, Reason::BadMessage | Reason::UnknownType | Reason::TooLarge)),
        }
    }

    #[test]
    fn token_verification_never_panics(token in "[A-Za-z0-9_.=-]{0,200}") {
        prop_assert!(auth::verify(&token, "secret", 1_800_000_000).is_err());
    }

    #[test]
    fn forged_signatures_never_verify(sub in "[a-z]{1,10}", sig in "[A-Za-z0-9_-]{43}") {
        let claims = auth::Claims {
            sub,
            name: "N".into(),
            exp: 1_900_000_000,
            iat: None,
            nbf: None,
            space: None,
            role: None,
            channels: None,
        };
        let token = auth::sign(&claims, "secret");
        let (unsigned, real_sig) = token.rsplit_once('.').unwrap();
        prop_assume!(sig != real_sig);
        let forged = format!("{unsigned}.{sig}");
        prop_assert!(auth::verify(&forged, "secret", 1_800_000_000).is_err());
    }

    #[test]
    fn presence_keeps_its_invariants(ops in prop::collection::vec((0u8..6, 0usize..6, 0u64..40_000, any::<bool>()), 0..80)) {
        const T: Timing = Timing { heartbeat_ms: 10_000, grace_ms: 5_000 };
        const MAX: usize = 4;
        let mut p = Presence::default();
        let mut now = 0u64;
        let mut session_counter = 0u32;
        for (op, user, dt, flag) in ops {
            now += dt % 7_000;
            let user_id = format!("u{user}");
            match op {
                0 | 1 => {
                    session_counter += 1;
                    let presented = if flag { p.get(&user_id).map(|e| e.session_id.clone()) } else { None };
                    let _ = p.join(&user_id, "Name", presented.as_deref(), &format!("s{session_counter}"), now, MAX);
                }
                2 => { p.remove(&user_id); }
                3 => {
                    let session = p.get(&user_id).map(|e| e.session_id.clone()).unwrap_or_default();
                    p.drop_link(&user_id, &session, now, T);
                }
                4 => { p.set_state(&user_id, flag, !flag); }
                _ => {
                    p.sweep(now, T);
                    for e in p.entries() {
                        match e.link {
                            Link::Live { last_seen } => prop_assert!(now < last_seen + T.heartbeat_ms),
                            Link::Grace { deadline } => prop_assert!(now < deadline),
                        }
                    }
                }
            }
            let ids: Vec<_> = p.entries().iter().map(|e| e.member.id.clone()).collect();
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), ids.len(), "one entry per user");
            prop_assert!(ids.len() <= MAX, "never more than MAX_MEMBERS");
            if let Some(deadline) = p.next_deadline(T) {
                let earliest = p.entries().iter().all(|e| match e.link {
                    Link::Live { last_seen } => deadline <= last_seen + T.heartbeat_ms,
                    Link::Grace { deadline: d } => deadline <= d,
                });
                prop_assert!(earliest, "the alarm is the earliest deadline");
            } else {
                prop_assert!(p.entries().is_empty());
            }
        }
    }
}
