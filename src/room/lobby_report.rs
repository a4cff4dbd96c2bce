//! The report queue to the Lobby: after each change the room reports its roster and seats (a
//! `RoomReport`, `report.rs`), which keeps every user in one channel and may answer with
//! `/evict`. Changes close together are folded into one report, one request at a time per room.
//! And the one question a join asks the Lobby: whether the user's socket here was superseded by a
//! seat taken elsewhere since.

use std::cell::{Cell, RefCell};

use worker::Method;

use super::Room;
use crate::http::{self, now_ms};
use crate::presence::{Presence, Refused};
use crate::protocol::Member;
use crate::report::{MovedOut, RoomReport, SeatQuery};
use crate::seats::Seat;

/// The least time between two roster updates from one room to the lobby: a room filling up or
/// emptying sends a few updates, not one per member, and the sidebar is at most this late.
const LOBBY_GAP_MS: u64 = 100;

/// What the Lobby has not been told yet.
pub struct ReportQueue {
    seq: Cell<u64>,
    /// The newest roster (and seats) the lobby has not been sent yet.
    pending: RefCell<Option<(Vec<Member>, Vec<Seat>)>>,
    /// Seats taken since the last report was sent.
    taken: RefCell<Vec<Seat>>,
    /// Members moved out since the last report was sent.
    moved: RefCell<Vec<MovedOut>>,
    /// Whether a send is under way: the lobby gets every change, after the event that made it.
    sending: Cell<bool>,
}

impl ReportQueue {
    pub fn new() -> Self {
        ReportQueue {
            seq: Cell::new(0),
            pending: RefCell::new(None),
            taken: RefCell::new(Vec::new()),
            moved: RefCell::new(Vec::new()),
            sending: Cell::new(false),
        }
    }

    /// A join took `seat`: the next report names it, even if the user leaves again before.
    pub fn took(&self, seat: Seat) {
        self.taken.borrow_mut().push(seat);
    }

    /// A member left for another channel: the next report says so.
    pub fn moved(&self, moved: MovedOut) {
        self.moved.borrow_mut().push(moved);
    }

    /// The next report's version: versions grow across hibernation (the clock) and within a
    /// millisecond (the counter).
    fn next_version(&self) -> u64 {
        let seq = self.seq.get().wrapping_add(1);
        self.seq.set(seq);
        now_ms() * 1000 + seq % 1000
    }
}

impl Room {
    /// Queues the roster for the lobby. The first change goes at once; changes within
    /// [`LOBBY_GAP_MS`] of a sent update (or while it is under way) are folded into the next one,
    /// which carries the newest roster. One request at a time per room.
    pub(super) fn notify_lobby(&self, presence: &Presence) {
        *self.reports.pending.borrow_mut() = Some((presence.members(), presence.seats()));
        if self.reports.sending.replace(true) {
            return;
        }
        self.later(|room| async move {
            loop {
                let next = room.reports.pending.borrow_mut().take();
                let Some((members, seats)) = next else { break };
                let taken = std::mem::take(&mut *room.reports.taken.borrow_mut());
                let moved = std::mem::take(&mut *room.reports.moved.borrow_mut());
                let version = room.reports.next_version();
                let report = RoomReport { version, members, seats, taken, moved };
                if let Err(err) = room.send_report(&report).await {
                    crate::log::error("room", "lobby update failed", err);
                    // Kept for the next update: the lobby must still hear of these joins.
                    room.reports.taken.borrow_mut().splice(0..0, report.taken);
                    room.reports.moved.borrow_mut().splice(0..0, report.moved);
                }
                let _ = http::sleep(LOBBY_GAP_MS).await;
            }
            room.reports.sending.set(false);
            Ok(())
        });
    }

    /// Before a join is refused because `user_id` has a live socket here (and did not present
    /// its session): if the Lobby knows of a seat that user took in another channel since that
    /// socket took its seat here — a hop whose move has not reached this room yet — the socket
    /// here is moved out (4010) now, so the newest choice wins. Asked a second time after the
    /// report gap, since the other room may still be folding its report; a true second socket
    /// (another tab in this channel) is refused that much later.
    pub(super) async fn yield_superseded_seat(
        &self,
        channel_id: &str,
        user_id: &str,
        presented: Option<&str>,
    ) -> worker::Result<()> {
        for attempt in 0..2 {
            let loaded = self.load().await?;
            let refused = loaded.presence.check_join(user_id, presented, usize::MAX) == Err(Refused::AlreadyInChannel);
            let Some(entry) = loaded.presence.get(user_id).filter(|_| refused) else { return Ok(()) };
            let query = SeatQuery { channel_id: channel_id.to_owned(), seat: entry.seat() };
            let asked = async {
                let (stub, space, _) = self.lobby().await?;
                let path = format!("{}&space={space}", query.to_path());
                let mut resp = stub.fetch_with_request(http::internal_request(&path, Method::Get, None)?).await?;
                resp.json::<serde_json::Value>().await
            };
            let superseded = asked.await.map(|a| a["superseded"] == true).unwrap_or_else(|err| {
                // Without an answer the join is decided as before (refused).
                crate::log::error("room", "asking the lobby about a second socket failed", err);
                false
            });
            if superseded {
                return self.evict_moved(user_id, Some(&query.seat.session_id)).await;
            }
            if attempt == 0 {
                let _ = http::sleep(LOBBY_GAP_MS + 50).await;
            }
        }
        Ok(())
    }

    async fn send_report(&self, report: &RoomReport) -> worker::Result<()> {
        let (stub, space, channel_id) = self.lobby().await?;
        let path = format!("/rooms/{channel_id}?space={space}");
        http::post_json(&stub, &path, report).await
    }

    /// The Lobby of this room's space, the space and the channel id.
    async fn lobby(&self) -> worker::Result<(worker::Stub, String, String)> {
        let name = self.store.channel_id(&self.state).await?;
        let (space, channel_id) = crate::space::split_room_name(&name);
        Ok((http::lobby_stub(&self.env, space)?, space.to_owned(), channel_id.to_owned()))
    }
}
