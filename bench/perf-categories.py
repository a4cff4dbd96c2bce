#!/usr/bin/env python3
"""Sums `perf report --no-children --sort dso,sym` self time into coarse categories.
Usage: perf-categories.py perf.data [µs per unit of work]  (bench/README.md, "Profiles")."""
import re, subprocess, sys
CATS = [
    ("kernel: network and syscalls", r"\[kernel|\[k\]"),
    ("JIT code: JS and wasm (Liftoff/TurboFan)", r"\[JIT\]|Builtins_Wasm|wasm"),
    ("V8 GC", r"Scaveng|MarkCompact|Sweep|Heap::|GlobalHandles|Marking|Evacuat|cppgc"),
    ("structured clone (attachments)", r"ValueDeserializer|ValueSerializer|jsg::Deserializer|jsg::Serializer|Attachment"),
    ("JSON", r"Json"),
    ("strings and text coding", r"String|Utf8|Utf16|TextDecoder|TextEncoder|Latin1|unibrow"),
    ("V8 builtins and runtime (other)", r"Builtins_|v8::internal|v8::"),
    ("malloc", r"tcmalloc|malloc|free|TCMalloc"),
    ("workerd/kj runtime (other)", r"workerd::|kj::|capnp::"),
]
data = sys.argv[1]
per = float(sys.argv[2]) if len(sys.argv) > 2 else None
out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,sym", "--stdio", "-g", "none"],
                     capture_output=True, text=True).stdout
totals = {}
for line in out.splitlines():
    m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(.*)$", line)
    if not m:
        continue
    pct, dso, sym = float(m.group(1)), m.group(2), m.group(3)
    text = f"{dso} {sym}"
    for name, rx in CATS:
        if re.search(rx, text):
            totals[name] = totals.get(name, 0) + pct
            break
    else:
        totals["other"] = totals.get("other", 0) + pct
for name, pct in sorted(totals.items(), key=lambda kv: -kv[1]):
    extra = f"  {pct / 100 * per:7.1f} µs" if per else ""
    print(f"{pct:6.1f}%{extra}  {name}")
