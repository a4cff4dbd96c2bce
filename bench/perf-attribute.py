#!/usr/bin/env python3
"""Attributes every sample of a join profile to the part of the server it ran for.
Usage: perf-attribute.py perf.data <µs per join + leave>   (bench/README.md, "Join: where the time goes")
Needs a profile of a build with symbol names and workerd's perf map (WORKERD_V8_FLAGS=--perf-basic-prof).
A sample belongs to the outermost of: the worker's fetch, the room's join (its fetch), the room's
leave (its close event), the Lobby's fetch (a report), the room's background work (sending
reports), other JS; samples outside any JS call are the runtime's own (network, HTTP, event loop,
V8's compiler and GC threads). Within each part, the biggest first callees of our code."""
import collections, re, subprocess, sys

data, per = sys.argv[1], float(sys.argv[2])
out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], capture_output=True, text=True).stdout
PARTS = [
    ("worker: its access log line and request id", r"cromulent_voice::entry::join_now::\{\{closure\}\}|cromulent_voice::log::emit|cromulent_voice::log::request_id|cromulent_voice::http::with_headers"),
    ("worker: /api/channels/:id/voice (routing, token, the hop to the room)", r"JS:fetch(-\d+-\w+)?$|cromulent_voice::route|cromulent_voice::entry::"),
    ("workers-rs glue: Request/Response conversions (worker and Lobby fetch)", r"worker::request::Request as core::convert::From|From<worker::response::Response> for web_sys|worker::headers::Headers::get|cromulent_voice::http::now_ms"),
    ("room: join (its fetch)", r"room::class::<impl cromulent_voice::room::VoiceRoom>::fetch|VoiceRoom::fetch"),
    ("room: leave (its close event)", r"VoiceRoom::websocket_close|websocket_close"),
    ("Lobby: a room's report", r"Lobby as worker::durable::DurableObject>::fetch"),
    ("room: sending reports (background)", r"Room::later"),
]
def clean(s):
    s = re.sub(r"::h[0-9a-f]{16}", "", s)
    return re.sub(r"-\d+-(turbofan|liftoff)$", "", s).replace("JS:", "")[:110]
samples, cur = [], []
for line in out.splitlines():
    if not line.strip():
        if cur: samples.append(cur); cur = []
        continue
    parts = line.strip().split(None, 1)
    cur.append(parts[1] if len(parts) > 1 else parts[0])
if cur: samples.append(cur)
total = len(samples)
part_n = collections.Counter(); callee = collections.defaultdict(collections.Counter)
for st in samples:  # leaf first
    name, idx = None, None
    for i in range(len(st) - 1, -1, -1):
        for pname, rx in PARTS:
            if re.search(rx, st[i]):
                name, idx = pname, i
                break
        if name: break
    if name is None:
        name = "JS glue and promise jobs (other)" if any("Builtins_JSEntry" in f for f in st) else "runtime outside JS (network, HTTP, event loop, compiler, GC)"
    part_n[name] += 1
    if idx is not None and idx > 0:
        # the first frame of our own code below the part's entry
        skip = re.compile(r"VoiceRoom::fetch|wasm::promise|wasm::run_now|entry::entry|entry::join_now$|Room::closed::|join::<impl cromulent_voice::room::Room>::join::")
        for j in range(idx - 1, -1, -1):
            if skip.search(st[j]):
                continue
            if "cromulent_voice" in st[j] or "worker::" in st[j] or "web_sys" in st[j]:
                callee[name][clean(st[j])] += 1
                break
        else:
            callee[name]["(runtime calls)"] += 1
print(f"{total} samples; {per:.0f} µs per join + leave")
for name, n in part_n.most_common():
    print(f"{100*n/total:5.1f}%  {per*n/total:6.0f} µs  {name}")
    for c, k in callee[name].most_common(8):
        if 100 * k / total >= 0.4:
            print(f"           {per*k/total:6.0f} µs  {c}")
