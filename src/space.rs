//! Spaces (contract v1.1): one community's voice channels, with its own Lobby. A space id and a
//! runtime channel id are `[a-z0-9_-]{1,64}`; the `default` space keeps the Durable Object names
//! it had before spaces existed (rooms by channel id, the lobby "lobby"), so a deployment that
//! upgrades keeps its rosters and grace entries.

/// The space of tokens without a `space` claim, of guests, and of `VOICE_CHANNELS`.
pub const DEFAULT_SPACE: &str = "default";

/// Longest space or channel id.
pub const MAX_ID_CHARS: usize = 64;

/// Whether `id` is a valid space or channel id: 1–64 of `a-z`, `0-9`, `-`, `_`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The name of the `VoiceRoom` Durable Object of `channel` in `space`. Ids never hold `/`, so
/// two (space, channel) pairs never share a name.
pub fn room_name(space: &str, channel: &str) -> String {
    if space == DEFAULT_SPACE {
        channel.to_owned()
    } else {
        format!("{space}/{channel}")
    }
}

/// The (space, channel) a room name stands for.
pub fn split_room_name(name: &str) -> (&str, &str) {
    name.split_once('/').unwrap_or((DEFAULT_SPACE, name))
}

/// The name of the space's `Lobby` Durable Object.
pub fn lobby_name(space: &str) -> String {
    if space == DEFAULT_SPACE {
        "lobby".to_owned()
    } else {
        format!("space:{space}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_contract() {
        for good in ["default", "a", "team-1_x", &"z".repeat(64)] {
            assert!(valid_id(good), "{good}");
        }
        for bad in ["", "A", "a b", "a/b", "ä", "a.b", &"z".repeat(65), "space:x"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn the_default_space_keeps_its_object_names_and_others_never_meet() {
        assert_eq!(room_name("default", "general"), "general");
        assert_eq!(lobby_name("default"), "lobby");
        assert_eq!(room_name("acme", "general"), "acme/general");
        assert_ne!(room_name("acme", "general"), room_name("other", "general"));
        assert_eq!(split_room_name("acme/general"), ("acme", "general"));
        assert_eq!(split_room_name("general"), ("default", "general"));
        // A space called "lobby" does not get the default lobby.
        assert_ne!(lobby_name("lobby"), lobby_name("default"));
    }
}
