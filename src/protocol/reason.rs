//! The reasons of `error` messages and the close codes that go with them (contract "Close codes"
//! and v1.1 "Added close codes and reasons").

use serde::{Deserialize, Serialize};

/// Stable `reason` of an `error` message (and of the close that may follow it).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Malformed JSON, missing or wrong-typed fields, a signal to yourself.
    BadMessage,
    /// A `type` this server does not know.
    UnknownType,
    /// A binary frame (the protocol is JSON text).
    BinaryNotSupported,
    /// A frame over `MAX_FRAME_BYTES`.
    TooLarge,
    /// `signal.to` names nobody connected in this channel.
    UnknownPeer,
    /// Too many messages; see the rate limit.
    RateLimited,
    /// The same user already has a live socket in this channel.
    AlreadyInChannel,
    /// The same user joined another channel.
    Moved,
    /// The same tab reconnected on a new socket.
    Replaced,
    /// No sign of life within the heartbeat timeout.
    HeartbeatTimeout,
    /// `MAX_MEMBERS` reached.
    ChannelFull,
    /// A `resume=1` join found no entry to take back.
    ResumeFailed,
    /// The token the socket was opened with has expired: sign in again.
    TokenExpired,
    /// The channel was deleted (admin API, or a temporary channel left empty).
    ChannelDeleted,
    /// Removed by a moderator.
    Kicked,
    /// A join within a kick's ban window.
    Banned,
}

impl Reason {
    /// The close code that goes with this reason, when the socket is closed for it.
    pub fn close_code(self) -> Option<u16> {
        match self {
            Reason::AlreadyInChannel => Some(close::ALREADY_IN_CHANNEL),
            Reason::Moved => Some(close::MOVED),
            Reason::Replaced => Some(close::REPLACED),
            Reason::HeartbeatTimeout => Some(close::HEARTBEAT_TIMEOUT),
            Reason::ChannelFull => Some(close::CHANNEL_FULL),
            Reason::ResumeFailed => Some(close::RESUME_FAILED),
            Reason::RateLimited => Some(close::RATE_LIMITED),
            Reason::TokenExpired => Some(close::TOKEN_EXPIRED),
            Reason::ChannelDeleted => Some(close::CHANNEL_DELETED),
            Reason::Kicked | Reason::Banned => Some(close::KICKED),
            Reason::BadMessage
            | Reason::UnknownType
            | Reason::BinaryNotSupported
            | Reason::TooLarge
            | Reason::UnknownPeer => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BadMessage => "bad_message",
            Reason::UnknownType => "unknown_type",
            Reason::BinaryNotSupported => "binary_not_supported",
            Reason::TooLarge => "too_large",
            Reason::UnknownPeer => "unknown_peer",
            Reason::RateLimited => "rate_limited",
            Reason::AlreadyInChannel => "already_in_channel",
            Reason::Moved => "moved",
            Reason::Replaced => "replaced",
            Reason::HeartbeatTimeout => "heartbeat_timeout",
            Reason::ChannelFull => "channel_full",
            Reason::ResumeFailed => "resume_failed",
            Reason::TokenExpired => "token_expired",
            Reason::ChannelDeleted => "channel_deleted",
            Reason::Kicked => "kicked",
            Reason::Banned => "banned",
        }
    }
}

/// WebSocket close codes of the contract.
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const HEARTBEAT_TIMEOUT: u16 = 4008;
    pub const ALREADY_IN_CHANNEL: u16 = 4009;
    pub const MOVED: u16 = 4010;
    pub const REPLACED: u16 = 4011;
    pub const RESUME_FAILED: u16 = 4012;
    pub const CHANNEL_FULL: u16 = 4013;
    pub const RATE_LIMITED: u16 = 4029;
    /// `token_expired`: the socket's token expired while it was open.
    pub const TOKEN_EXPIRED: u16 = 4001;
    /// `kicked` or `banned`: a moderator removed the member.
    pub const KICKED: u16 = 4003;
    /// `channel_deleted`: the channel is gone.
    pub const CHANNEL_DELETED: u16 = 4004;
}
