//! Roster changes to the observers, folded: the first change goes out at once, changes within the
//! gap after it wait and go out together, the newest roster per channel. Sending is nearly all of
//! a lobby's cost (~40 µs of runtime per frame and viewer, bench/README.md "Lobby scale"), so the
//! gap grows with the viewers — none to speak of for a small space, 100 ms at 1,000 sidebars,
//! 500 ms at 5,000 — which holds a lobby's frames per second whatever the rate of changes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::{JsCast, JsValue};
use worker::worker_sys::DurableObjectState;
use worker::Delay;

use super::observers::{is_open, may_see, ALL_TAG, SOME_TAG};
use crate::fold::gap_ms;
use crate::protocol::{LobbyMsg, Member};

/// Changes not sent yet, and whether a flush is under way.
#[derive(Default)]
pub struct Fanout {
    pending: RefCell<Vec<(String, Vec<Member>)>>,
    flushing: Cell<bool>,
}

impl Fanout {
    /// Queues channel `id`'s new roster; starts a flush unless one is under way.
    pub fn channel(self: &Rc<Self>, state: &DurableObjectState, id: &str, members: &[Member]) {
        {
            let mut pending = self.pending.borrow_mut();
            match pending.iter_mut().find(|(c, _)| c == id) {
                Some(entry) => entry.1 = members.to_vec(),
                None => pending.push((id.to_owned(), members.to_vec())),
            }
        }
        if self.flushing.replace(true) {
            return;
        }
        let state: DurableObjectState = AsRef::<JsValue>::as_ref(state).clone().unchecked_into();
        let fanout = Rc::clone(self);
        worker::wasm_bindgen_futures::spawn_local(async move {
            loop {
                let batch = std::mem::take(&mut *fanout.pending.borrow_mut());
                if batch.is_empty() {
                    break;
                }
                let viewers = send(&state, &batch);
                Delay::from(Duration::from_millis(gap_ms(viewers))).await;
            }
            fanout.flushing.set(false);
        });
    }

    /// A deleted channel's pending update is dropped (the roster without it went out).
    pub fn forget(&self, id: &str) {
        self.pending.borrow_mut().retain(|(c, _)| c != id);
    }
}

/// Sends each channel's frame to the observers that may see it; returns how many observers.
fn send(state: &DurableObjectState, batch: &[(String, Vec<Member>)]) -> usize {
    let all = state.get_websockets_with_tag(ALL_TAG).unwrap_or_default();
    let some = state.get_websockets_with_tag(SOME_TAG).unwrap_or_default();
    for (id, members) in batch {
        let frame = LobbyMsg::Channel { id, members }.to_json();
        for ws in &all {
            let _ = ws.send_with_str(&frame);
        }
        for ws in some.iter().filter(|ws| is_open(ws) && may_see(ws, id)) {
            let _ = ws.send_with_str(&frame);
        }
    }
    all.len() + some.len()
}
