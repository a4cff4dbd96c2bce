//! Property tests over untrusted input: the protocol parser, token verification and the presence
//! rules never panic and keep their invariants, whatever arrives. CI runs the default number of
//! cases; a full run: `PROPTEST_CASES=10000000 cargo test --release --test fuzz` (see tests/README.md).

use cromulent_voice::auth;
use cromulent_voice::presence::{Link, Presence, Timing};
use cromulent_voice::protocol::{parse_client_msg, ClientMsg, Reason};
use proptest::prelude::*;

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

proptest! {
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
        let claims = auth::Claims { sub, name: "N".into(), exp: 1_900_000_000, iat: None, nbf: None };
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
