//! The STUN entry every answer carries (`STUN_URLS`): no credentials, no expiry.

use crate::protocol::{IceServer, IceUrls};

pub fn server(urls: &[String]) -> IceServer {
    IceServer { urls: IceUrls::Many(urls.to_vec()), username: None, credential: None }
}
