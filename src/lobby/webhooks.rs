//! The space's webhook queue (contract v1.1): events made from roster changes (`webhook/events.rs`)
//! are stored one key each, in order, and delivered from the Lobby's alarm one at a time, so the
//! order per channel holds; a failure waits (backoff) and the queue behind it waits too. Given up
//! only after `GIVE_UP_AFTER_MS`. A 2xx acknowledges. One log line per failure, without the URL
//! (it may carry a key) or the body.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::future::{select, Either};
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

use super::Lobby;
use crate::http::now_ms;
use crate::log::{self, Level};
use crate::webhook::{signature, NewEvent, Queued, WebhookSettings, MAX_QUEUED, TIMEOUT_MS};

/// Storage keys of queued events: this prefix and a sequence number in fixed-width hex.
const QUEUE_PREFIX: &str = "wh:";
/// Storage key of the next sequence number.
const SEQ_KEY: &str = "wh_seq";
/// Most deliveries one alarm makes before it hands over to the next one.
const PER_ALARM: usize = 100;

/// The queue as loaded (None: not read since this object woke up), and the next sequence number.
#[derive(Default)]
pub struct Queue {
    events: Option<VecDeque<(String, Queued)>>,
    seq: u64,
}

impl Lobby {
    async fn load_queue(&self) -> worker::Result<()> {
        if self.webhooks.borrow().events.is_some() {
            return Ok(());
        }
        let storage = self.state.storage();
        let seq: u64 = storage.get(SEQ_KEY).await?.unwrap_or(0);
        let listed = storage.list_with_options(worker::ListOptions::new().prefix(QUEUE_PREFIX)).await?;
        let mut events = VecDeque::new();
        for entry in listed.entries() {
            let Ok(pair) = entry else { continue };
            let pair = js_sys::Array::from(&pair);
            let (Some(key), Some(text)) = (pair.get(0).as_string(), pair.get(1).as_string()) else { continue };
            if let Ok(queued) = serde_json::from_str::<Queued>(&text) {
                events.push_back((key, queued));
            }
        }
        let mut queue = self.webhooks.borrow_mut();
        if queue.events.is_none() {
            queue.events = Some(events);
            queue.seq = seq;
        }
        Ok(())
    }

    /// Queues `events` (in order) and makes sure the alarm delivers them.
    pub(super) async fn enqueue(&self, events: Vec<NewEvent>) -> worker::Result<()> {
        if events.is_empty() || self.config.webhook.is_none() {
            return Ok(());
        }
        self.load_queue().await?;
        let (now, space) = (now_ms(), self.space_id());
        let storage = self.state.storage();
        let mut dropped = 0;
        for event in events {
            let (key, queued) = {
                let mut queue = self.webhooks.borrow_mut();
                queue.seq += 1;
                let key = format!("{QUEUE_PREFIX}{:016x}", queue.seq);
                let id = format!("msg_{}", crate::auth::random_id());
                (key, Queued::new(&event, &space, now, id))
            };
            storage.put(&key, serde_json::to_string(&queued).unwrap_or_default()).await?;
            let oldest = {
                let mut queue = self.webhooks.borrow_mut();
                let events = queue.events.get_or_insert_with(VecDeque::new);
                events.push_back((key, queued));
                (events.len() > MAX_QUEUED).then(|| events.pop_front()).flatten()
            };
            if let Some((old_key, _)) = oldest {
                storage.delete(&old_key).await?;
                dropped += 1;
            }
        }
        let seq = self.webhooks.borrow().seq;
        storage.put(SEQ_KEY, seq).await?;
        if dropped > 0 {
            log::emit(Level::Warn, "webhook queue full: oldest events dropped", None, &[("dropped", dropped.into())]);
        }
        self.alarm_by(now).await
    }

    /// Delivers what is due, in order; returns when the alarm must come back (None: queue empty).
    pub(super) async fn deliver_due(&self) -> worker::Result<Option<u64>> {
        let Some(settings) = self.config.webhook.clone() else { return Ok(None) };
        self.load_queue().await?;
        for _ in 0..PER_ALARM {
            let head = self.webhooks.borrow().events.as_ref().and_then(|q| q.front().cloned());
            let Some((key, mut queued)) = head else { return Ok(None) };
            let now = now_ms();
            if queued.next_at > now {
                return Ok(Some(queued.next_at));
            }
            let outcome = post(&settings, &queued, now).await;
            let now = now_ms();
            let retry_at = match outcome {
                Ok(()) => None,
                Err(cause) => {
                    let retry = queued.failed(now);
                    let fields = [
                        ("object", "lobby".into()),
                        ("webhook_id", queued.id.as_str().into()),
                        ("attempts", queued.attempts.into()),
                        ("cause", cause.into()),
                        ("given_up", retry.is_none().into()),
                    ];
                    log::emit(Level::Warn, "webhook delivery failed", None, &fields);
                    retry
                }
            };
            match retry_at {
                Some(at) => {
                    self.state.storage().put(&key, serde_json::to_string(&queued).unwrap_or_default()).await?;
                    if let Some(front) = self.webhooks.borrow_mut().events.as_mut().and_then(|q| q.front_mut()) {
                        front.1 = queued;
                    }
                    return Ok(Some(at));
                }
                None => {
                    self.state.storage().delete(&key).await?;
                    if let Some(q) = self.webhooks.borrow_mut().events.as_mut() {
                        q.pop_front();
                    }
                }
            }
        }
        Ok(Some(now_ms()))
    }
}

/// One attempt: signed with this attempt's timestamp (receivers check it is recent).
async fn post(settings: &WebhookSettings, queued: &Queued, now: u64) -> Result<(), String> {
    let timestamp = now / 1000;
    let exchange = async {
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        headers.set("webhook-id", &queued.id)?;
        headers.set("webhook-timestamp", &timestamp.to_string())?;
        headers.set("webhook-signature", &signature(&settings.key, &queued.id, timestamp, &queued.body))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(queued.body.as_str().into()));
        let resp = Fetch::Request(Request::new_with_init(&settings.url, &init)?).send().await?;
        Ok::<_, worker::Error>(resp.status_code())
    };
    let timeout = Delay::from(Duration::from_millis(TIMEOUT_MS));
    futures_util::pin_mut!(exchange, timeout);
    match select(exchange, timeout).await {
        Either::Left((Ok(status), _)) if (200..300).contains(&status) => Ok(()),
        Either::Left((Ok(status), _)) => Err(format!("answered {status}")),
        // The URL may carry a key: never in a log line.
        Either::Left((Err(err), _)) => Err(format!("request failed: {err}").replace(&settings.url, "<WEBHOOK_URL>")),
        Either::Right(_) => Err(format!("no answer within {TIMEOUT_MS} ms")),
    }
}
