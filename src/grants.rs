//! What a token lets its holder do (contract v1.1 claims): its `space`, its `role` and the
//! `channels` it may join; and the admin API's token request, which a host app sends to have such
//! a token minted without holding `AUTH_SECRET`. A bad claim makes the whole token invalid.

use serde::Deserialize;

use crate::auth::{validate_name, Claims, MAX_USER_ID_CHARS};
use crate::error::AppError;
use crate::space::{valid_id, DEFAULT_SPACE};

/// Most channel ids one `channels` claim may list.
pub const MAX_CHANNEL_GRANTS: usize = 100;
/// Minted tokens live this long unless the request says otherwise (as LiveKit's do).
pub const DEFAULT_TTL_SECS: u64 = 6 * 3600;
pub const MIN_TTL_SECS: u64 = 60;
/// A week, as long as a guest token.
pub const MAX_TTL_SECS: u64 = 7 * 24 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Role {
    #[default]
    Member,
    Moderator,
}

impl Role {
    pub fn parse(role: &str) -> Option<Role> {
        match role {
            "member" => Some(Role::Member),
            "moderator" => Some(Role::Moderator),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
        }
    }
}

/// A verified token's grants. Tokens without the v1.1 claims: the default space, a member, every
/// channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grants {
    pub space: String,
    pub role: Role,
    /// The channel ids this token may join; None: every channel of the space.
    pub channels: Option<Vec<String>>,
}

impl Default for Grants {
    fn default() -> Self {
        Grants { space: DEFAULT_SPACE.to_owned(), role: Role::Member, channels: None }
    }
}

impl Grants {
    /// The grants of a token's claims; None when one of them is malformed.
    pub fn from_claims(space: Option<&str>, role: Option<&str>, channels: Option<&[String]>) -> Option<Grants> {
        let space = space.unwrap_or(DEFAULT_SPACE);
        if !valid_id(space) {
            return None;
        }
        let role = role.map_or(Some(Role::Member), Role::parse)?;
        if let Some(list) = channels {
            if list.len() > MAX_CHANNEL_GRANTS || !list.iter().all(|c| valid_id(c)) {
                return None;
            }
        }
        Some(Grants { space: space.to_owned(), role, channels: channels.map(<[String]>::to_vec) })
    }

    /// Whether this token may join (and see) `channel_id`.
    pub fn allows(&self, channel_id: &str) -> bool {
        self.channels.as_ref().is_none_or(|list| list.iter().any(|c| c == channel_id))
    }

    pub fn is_moderator(&self) -> bool {
        self.role == Role::Moderator
    }
}

/// `POST /api/admin/tokens`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub sub: String,
    pub name: String,
    #[serde(default)]
    pub space: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

impl TokenRequest {
    /// The claims to sign at `now`: every field checked as a token's claims are (400 otherwise).
    pub fn into_claims(self, now: u64) -> Result<Claims, AppError> {
        let sub_chars = self.sub.chars().count();
        if sub_chars == 0 || sub_chars > MAX_USER_ID_CHARS || self.sub.chars().any(char::is_control) {
            return Err(AppError::bad_request("sub must be 1-128 characters without control characters"));
        }
        let name = validate_name(&self.name).map_err(|e| AppError::new(400, "invalid_name", e.detail()))?;
        let grants = Grants::from_claims(self.space.as_deref(), self.role.as_deref(), self.channels.as_deref())
            .ok_or_else(|| {
                AppError::bad_request(
                    "space must be 1-64 of a-z 0-9 - _, role member or moderator, channels at most 100 such ids",
                )
            })?;
        let ttl = self.ttl_secs.unwrap_or(DEFAULT_TTL_SECS);
        if !(MIN_TTL_SECS..=MAX_TTL_SECS).contains(&ttl) {
            return Err(AppError::bad_request(format!("ttl_secs must be {MIN_TTL_SECS}..={MAX_TTL_SECS}")));
        }
        Ok(Claims {
            sub: self.sub,
            name,
            exp: now + ttl,
            iat: Some(now),
            nbf: None,
            space: self.space.map(|_| grants.space),
            role: self.role.map(|_| grants.role.as_str().to_owned()),
            channels: grants.channels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn no_claims_mean_the_default_space_member_of_every_channel() {
        let grants = Grants::from_claims(None, None, None).unwrap();
        assert_eq!(grants, Grants::default());
        assert!(grants.allows("anything") && !grants.is_moderator());
    }

    #[test]
    fn claims_are_checked() {
        let g = Grants::from_claims(Some("acme"), Some("moderator"), Some(&ids(&["a", "b"]))).unwrap();
        assert!(g.is_moderator() && g.allows("a") && !g.allows("c"));
        assert_eq!(Grants::from_claims(None, None, Some(&[])).map(|g| g.allows("a")), Some(false));
        assert!(Grants::from_claims(Some("Acme"), None, None).is_none());
        assert!(Grants::from_claims(Some(""), None, None).is_none());
        assert!(Grants::from_claims(None, Some("admin"), None).is_none());
        assert!(Grants::from_claims(None, None, Some(&ids(&["ok", "Not ok"]))).is_none());
        let many: Vec<String> = (0..=MAX_CHANNEL_GRANTS).map(|i| format!("c{i}")).collect();
        assert!(Grants::from_claims(None, None, Some(&many)).is_none());
        assert!(Grants::from_claims(None, None, Some(&many[1..])).is_some());
    }

    fn request(json: &str) -> Result<Claims, AppError> {
        serde_json::from_str::<TokenRequest>(json).map_err(|e| AppError::bad_request(e.to_string()))?.into_claims(1000)
    }

    #[test]
    fn a_token_request_becomes_claims() {
        let claims =
            request(r#"{"sub":"u1","name":" Ann ","space":"acme","role":"moderator","channels":["x"],"ttl_secs":60}"#)
                .unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.name.as_str(), claims.exp, claims.iat),
            ("u1", "Ann", 1060, Some(1000))
        );
        assert_eq!(claims.space.as_deref(), Some("acme"));
        assert_eq!(claims.role.as_deref(), Some("moderator"));
        assert_eq!(claims.channels, Some(ids(&["x"])));
        let plain = request(r#"{"sub":"u1","name":"Ann"}"#).unwrap();
        assert_eq!((plain.exp, plain.space, plain.role, plain.channels), (1000 + DEFAULT_TTL_SECS, None, None, None));
    }

    #[test]
    fn a_bad_token_request_is_a_400() {
        for (json, reason) in [
            (r#"{"sub":"","name":"Ann"}"#, "bad_request"),
            (r#"{"sub":"u1","name":""}"#, "invalid_name"),
            (r#"{"sub":"u1","name":"Ann","space":"A"}"#, "bad_request"),
            (r#"{"sub":"u1","name":"Ann","role":"owner"}"#, "bad_request"),
            (r#"{"sub":"u1","name":"Ann","channels":["a b"]}"#, "bad_request"),
            (r#"{"sub":"u1","name":"Ann","ttl_secs":59}"#, "bad_request"),
            (r#"{"sub":"u1","name":"Ann","ttl_secs":604801}"#, "bad_request"),
        ] {
            let err = request(json).unwrap_err();
            assert_eq!((err.status, err.reason), (400, reason), "{json}");
        }
        let long = format!(r#"{{"sub":"{}","name":"Ann"}}"#, "x".repeat(129));
        assert_eq!(request(&long).unwrap_err().status, 400);
    }
}
