//! The wire protocol of the voice channel and the lobby: one tagged enum per direction, plus the
//! shared `Member` and `IceServer` shapes. Mirrored once in `public/voice.js` (JSDoc typedefs).
//! `relay.rs` reads the two hot messages (`signal`, `speaking`) the way the room relays them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod reason;
mod relay;

pub use reason::{close, Reason};
pub use relay::{parse_relay, plain_within, Relay, MAX_NESTING};

/// Largest text frame a client may send (an SDP offer with many codecs is ~6 KiB).
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Text frame a client sends to show it is alive; answered with `PONG` by the runtime itself
/// (hibernation auto-response), so it never wakes the Durable Object.
pub const PING: &str = "ping";
pub const PONG: &str = "pong";

/// WebSocket subprotocol every client offers; the server answers with it.
pub const SUBPROTOCOL: &str = "voice.v1";
/// Prefix of the subprotocol entry that carries the token.
pub const BEARER_PREFIX: &str = "bearer.";

/// One person in a channel, as everyone else sees them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub muted: bool,
    #[serde(default)]
    pub deafened: bool,
    /// Muted by a moderator (contract v1.1): the member's own `state` does not clear it, and
    /// every page plays none of its audio while it is set.
    #[serde(default)]
    pub server_muted: bool,
}

impl Member {
    pub fn new(id: &str, name: &str) -> Self {
        Member { id: id.to_owned(), name: name.to_owned(), muted: false, deafened: false, server_muted: false }
    }
}

/// WebRTC's `RTCIceServer` shape.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IceServer {
    pub urls: IceUrls,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(untagged)]
pub enum IceUrls {
    One(String),
    Many(Vec<String>),
}

impl IceUrls {
    pub fn as_vec(&self) -> Vec<&str> {
        match self {
            IceUrls::One(url) => vec![url.as_str()],
            IceUrls::Many(urls) => urls.iter().map(String::as_str).collect(),
        }
    }
}

/// A channel and who is in it: the sidebar's row, and the admin API's Channel.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ChannelRoster {
    pub id: String,
    pub name: String,
    /// Members it takes (`MAX_MEMBERS` unless set through the admin API).
    pub max_members: usize,
    /// Deleted after `TEMP_CHANNEL_IDLE_SECS` empty.
    pub temporary: bool,
    pub members: Vec<Member>,
}

/// Client → server messages of the voice channel.
#[derive(Deserialize, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Relay `payload` (an object: `sdp` and/or `candidate`, …) to the member `to`.
    Signal { to: String, payload: Value },
    /// Mute/deafen state, stored in presence.
    State { muted: bool, deafened: bool },
    /// Voice activity; relayed to everyone else, not stored.
    Speaking { speaking: bool },
    /// Leave the channel now; `to`: for another channel of the space (the page's own switch),
    /// which the webhooks announce as one `member.moved`.
    Leave {
        #[serde(default)]
        to: Option<String>,
    },
}

/// Server → client messages of the voice channel.
#[derive(Serialize, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg<'a> {
    Joined {
        channel_id: &'a str,
        user_id: &'a str,
        session_id: &'a str,
        members: Vec<Member>,
        ice_servers: &'a [IceServer],
        /// When the TURN credentials in `ice_servers` expire (unix seconds); null for STUN only.
        ice_expires_at: Option<u64>,
        /// This join took back an entry (in grace, or the same tab's live one): its mute/deafen
        /// state is kept.
        resumed: bool,
        /// `RECONNECT_GRACE_SECS`: how long a dropped page may go on trying to resume.
        grace_secs: u64,
    },
    MemberJoined {
        member: &'a Member,
        resumed: bool,
        /// A resume whose page kept its peer connections (`media=kept`): keep yours to it unless
        /// it failed. Always false when `resumed` is false.
        media_kept: bool,
    },
    MemberLeft {
        user_id: &'a str,
    },
    MemberUpdated {
        member: &'a Member,
    },
    MemberSpeaking {
        user_id: &'a str,
        speaking: bool,
    },
    Signal {
        from: &'a str,
        payload: &'a Value,
    },
    /// A moderator moved you to `channel_id`: the socket is closed with 4010 next, and the page
    /// joins that channel by itself.
    Move {
        channel_id: &'a str,
    },
    Error {
        reason: Reason,
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
}

impl ServerMsg<'_> {
    pub fn to_json(&self) -> String {
        // Serializing these plain structs cannot fail; an empty frame would be a visible bug.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn error(reason: Reason, detail: impl Into<String>) -> Self {
        ServerMsg::Error { reason, detail: Some(detail.into()) }
    }
}

/// Lobby socket messages (server → client only).
#[derive(Serialize, Debug)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LobbyMsg<'a> {
    Roster { channels: &'a [ChannelRoster] },
    Channel { id: &'a str, members: &'a [Member] },
}

impl LobbyMsg<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Why a client frame was refused: becomes an `error` message with this reason.
#[derive(Debug, PartialEq, Eq)]
pub struct ProtocolError {
    pub reason: Reason,
    pub detail: String,
}

impl ProtocolError {
    fn new(reason: Reason, detail: impl Into<String>) -> Self {
        ProtocolError { reason, detail: detail.into() }
    }

    /// A frame over [`MAX_FRAME_BYTES`]: refused before it is read.
    pub fn too_large() -> Self {
        ProtocolError::new(Reason::TooLarge, format!("frames are limited to {MAX_FRAME_BYTES} bytes"))
    }
}

/// Parses and validates one text frame from a member whose id is `self_id`.
pub fn parse_client_msg(text: &str, self_id: &str) -> Result<ClientMsg, ProtocolError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(ProtocolError::too_large());
    }
    let msg: ClientMsg = serde_json::from_str(text).map_err(|err| {
        let detail = err.to_string();
        if detail.starts_with("unknown variant") {
            ProtocolError::new(Reason::UnknownType, detail)
        } else {
            ProtocolError::new(Reason::BadMessage, detail)
        }
    })?;
    match &msg {
        ClientMsg::Signal { to, payload } => {
            if to.is_empty() {
                return Err(ProtocolError::new(Reason::BadMessage, "signal.to is empty"));
            }
            if to == self_id {
                return Err(ProtocolError::new(Reason::BadMessage, "cannot signal yourself"));
            }
            if !payload.is_object() {
                return Err(ProtocolError::new(Reason::BadMessage, "signal.payload must be an object"));
            }
        }
        ClientMsg::State { .. } | ClientMsg::Speaking { .. } | ClientMsg::Leave { .. } => {}
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason_of(text: &str) -> Reason {
        parse_client_msg(text, "me").unwrap_err().reason
    }

    #[test]
    fn signal_with_object_payload_parses() {
        let msg = parse_client_msg(r#"{"type":"signal","to":"bob","payload":{"sdp":"v=0"}}"#, "me");
        assert_eq!(msg.unwrap(), ClientMsg::Signal { to: "bob".into(), payload: serde_json::json!({"sdp": "v=0"}) });
    }

    #[test]
    fn state_and_leave_parse() {
        assert_eq!(
            parse_client_msg(r#"{"type":"state","muted":true,"deafened":false}"#, "me").unwrap(),
            ClientMsg::State { muted: true, deafened: false }
        );
        assert_eq!(parse_client_msg(r#"{"type":"leave"}"#, "me").unwrap(), ClientMsg::Leave { to: None });
        assert_eq!(
            parse_client_msg(r#"{"type":"leave","to":"b"}"#, "me").unwrap(),
            ClientMsg::Leave { to: Some("b".into()) }
        );
    }

    #[test]
    fn unknown_type_is_its_own_reason() {
        assert_eq!(reason_of(r#"{"type":"dance"}"#), Reason::UnknownType);
    }

    #[test]
    fn missing_type_is_a_bad_message() {
        assert_eq!(reason_of(r#"{"to":"bob"}"#), Reason::BadMessage);
    }

    #[test]
    fn missing_fields_are_bad_messages() {
        assert_eq!(reason_of(r#"{"type":"signal","payload":{}}"#), Reason::BadMessage);
        assert_eq!(reason_of(r#"{"type":"state","muted":true}"#), Reason::BadMessage);
    }

    #[test]
    fn wrong_types_are_bad_messages() {
        assert_eq!(reason_of(r#"{"type":"signal","to":5,"payload":{}}"#), Reason::BadMessage);
        assert_eq!(reason_of(r#"{"type":"state","muted":"yes","deafened":false}"#), Reason::BadMessage);
        assert_eq!(reason_of(r#"{"type":"signal","to":"bob","payload":"sdp"}"#), Reason::BadMessage);
    }

    #[test]
    fn invalid_json_is_a_bad_message() {
        assert_eq!(reason_of("{nope"), Reason::BadMessage);
        assert_eq!(reason_of("[]"), Reason::BadMessage);
        assert_eq!(reason_of(""), Reason::BadMessage);
    }

    #[test]
    fn signal_to_yourself_is_refused() {
        assert_eq!(reason_of(r#"{"type":"signal","to":"me","payload":{}}"#), Reason::BadMessage);
    }

    #[test]
    fn oversized_frame_is_refused_before_parsing() {
        let big = format!(r#"{{"type":"signal","to":"bob","payload":{{"sdp":"{}"}}}}"#, "x".repeat(MAX_FRAME_BYTES));
        assert_eq!(reason_of(&big), Reason::TooLarge);
    }

    #[test]
    fn server_messages_carry_their_type_tag() {
        let member = Member::new("u1", "Alice");
        let json = ServerMsg::MemberJoined { member: &member, resumed: true, media_kept: false }.to_json();
        assert_eq!(
            json,
            r#"{"type":"member_joined","member":{"id":"u1","name":"Alice","muted":false,"deafened":false,"server_muted":false},"resumed":true,"media_kept":false}"#
        );
        let err = ServerMsg::error(Reason::AlreadyInChannel, "x").to_json();
        assert!(err.starts_with(r#"{"type":"error","reason":"already_in_channel""#), "{err}");
    }

    #[test]
    fn reason_names_match_their_serde_names() {
        for reason in [
            Reason::BadMessage,
            Reason::UnknownType,
            Reason::BinaryNotSupported,
            Reason::TooLarge,
            Reason::UnknownPeer,
            Reason::RateLimited,
            Reason::AlreadyInChannel,
            Reason::Moved,
            Reason::Replaced,
            Reason::HeartbeatTimeout,
            Reason::ChannelFull,
            Reason::ResumeFailed,
            Reason::TokenExpired,
        ] {
            assert_eq!(serde_json::to_string(&reason).unwrap(), format!("\"{}\"", reason.as_str()));
        }
    }

    #[test]
    fn resume_failed_closes_with_4012() {
        assert_eq!(Reason::ResumeFailed.close_code(), Some(4012));
        let err = ServerMsg::error(Reason::ResumeFailed, "x").to_json();
        assert!(err.starts_with(r#"{"type":"error","reason":"resume_failed""#), "{err}");
    }

    #[test]
    fn joined_always_says_whether_it_resumed_and_the_grace_period() {
        let json = ServerMsg::Joined {
            channel_id: "general",
            user_id: "u1",
            session_id: "s",
            members: vec![],
            ice_servers: &[],
            ice_expires_at: None,
            resumed: false,
            grace_secs: 15,
        }
        .to_json();
        assert!(json.ends_with(r#","resumed":false,"grace_secs":15}"#), "{json}");
    }

    #[test]
    fn ice_server_omits_absent_credentials() {
        let stun = IceServer { urls: IceUrls::One("stun:example.org".into()), username: None, credential: None };
        assert_eq!(serde_json::to_string(&stun).unwrap(), r#"{"urls":"stun:example.org"}"#);
    }
}
