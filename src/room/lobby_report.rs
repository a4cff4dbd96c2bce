//! The report queue to the Lobby: after each change the room reports its roster and seats (a
//! `RoomReport`, `report.rs`), which keeps every user in one channel and may answer with
//! `/evict`. Changes close together are folded into one report, one request at a time per room.

use std::cell::{Cell, RefCell};

use worker::console_error;

use super::Room;
use crate::http::{self, now_ms};
use crate::presence::Presence;
use crate::protocol::Member;
use crate::report::RoomReport;
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
    /// Whether a send is under way: the lobby gets every change, after the event that made it.
    sending: Cell<bool>,
}

impl ReportQueue {
    pub fn new() -> Self {
        ReportQueue {
            seq: Cell::new(0),
            pending: RefCell::new(None),
            taken: RefCell::new(Vec::new()),
            sending: Cell::new(false),
        }
    }

    /// A join took `seat`: the next report names it, even if the user leaves again before.
    pub fn took(&self, seat: Seat) {
        self.taken.borrow_mut().push(seat);
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
                let version = room.reports.next_version();
                let report = RoomReport { version, members, seats, taken };
                if let Err(err) = room.send_report(&report).await {
                    console_error!("room: lobby update failed: {err}");
                    // Kept for the next update: the lobby must still hear of these joins.
                    room.reports.taken.borrow_mut().splice(0..0, report.taken);
                }
                worker::Delay::from(std::time::Duration::from_millis(LOBBY_GAP_MS)).await;
            }
            room.reports.sending.set(false);
            Ok(())
        });
    }

    async fn send_report(&self, report: &RoomReport) -> worker::Result<()> {
        let channel_id = self.store.channel_id(&self.state).await?;
        let stub = http::lobby_stub(&self.env)?;
        http::post_json::<_, serde_json::Value>(&stub, &format!("/rooms/{channel_id}"), report).await.map(|_| ())
    }
}
