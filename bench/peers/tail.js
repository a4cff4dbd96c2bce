// A tail worker that counts the events the benchmarked worker's invocations deliver, by class
// (entrypoint) and kind, so the idle benchmark can tell how often a Durable Object woke up.
// GET / answers the counts so far.
const counts = {};

function kindOf(event) {
  if (!event || typeof event !== "object") return "other";
  if ("request" in event) return "fetch";
  if ("scheduledTime" in event && !("cron" in event)) return "alarm";
  if ("webSocketEventType" in event) return `websocket-${event.webSocketEventType}`;
  if ("getWebSocketEvent" in event) return `websocket-${event.getWebSocketEvent?.webSocketEventType ?? "?"}`;
  return Object.keys(event).join("+") || "other";
}

export default {
  tail(events) {
    for (const e of events) {
      const key = `${e.entrypoint ?? "worker"}:${kindOf(e.event)}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  },
  fetch() {
    return Response.json(counts);
  },
};
