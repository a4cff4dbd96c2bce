// The signalling socket's frames: JSON messages handed to one handler per type.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dispatch, parseFrame } from "../../public/socket.js";

test("only JSON objects with a string type are messages", () => {
  assert.deepEqual(parseFrame('{"type":"joined","user_id":"u"}'), { type: "joined", user_id: "u" });
  for (const frame of ["pong", "not json", "[]", "null", '{"type":1}', '"joined"', new ArrayBuffer(2)]) {
    assert.equal(parseFrame(frame), null, String(frame));
  }
});

test("each type goes to its handler; unknown types and inherited names are ignored", () => {
  const seen = [];
  const handlers = { joined: (m) => seen.push(["joined", m.n]), error: (m) => seen.push(["error", m.n]) };
  const debug = console.debug;
  console.debug = () => {};
  try {
    dispatch({ type: "joined", n: 1 }, handlers);
    dispatch({ type: "error", n: 2 }, handlers);
    dispatch({ type: "from_the_future" }, handlers);
    dispatch({ type: "toString" }, handlers);
    dispatch({ type: "__proto__" }, handlers);
  } finally {
    console.debug = debug;
  }
  assert.deepEqual(seen, [["joined", 1], ["error", 2]]);
});
