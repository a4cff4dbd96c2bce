// Audio measured, not the UI: a known signal as the fake microphone (a tone gliding 300–1300 Hz,
// which Chromium's noise suppression lets through, unlike a steady tone), and the levels a page
// reads on its own Web Audio path (window.__voiceDebug.levels(): what arrives from each member,
// and what is played after this browser's volume), sampled inside the page every 10 ms; and
// opening the settings dialog where these controls live.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { launch } from "./helpers.mjs";

/** Above this a member is heard; below SILENT they are not (dBFS; the tone arrives near -15). */
export const AUDIBLE = -45;
export const SILENT = -65;

/** Writes a WAV (48 kHz, mono, 16 bit): a 0.3-amplitude tone gliding 300→1300→300 Hz in 2 s. */
export function glidingToneWav() {
  const rate = 48_000;
  const seconds = 2;
  const n = rate * seconds;
  const data = Buffer.alloc(n * 2);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const freq = 300 + 1000 * (t < 0.5 ? 2 * t : 2 - 2 * t);
    phase += (2 * Math.PI * freq) / rate;
    data.writeInt16LE(Math.round(0.3 * 32767 * Math.sin(phase)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  const file = path.join(mkdtempSync(path.join(tmpdir(), "cv-tone-")), "tone.wav");
  writeFileSync(file, Buffer.concat([header, data]));
  return file;
}

/** Chromium whose fake microphone plays the gliding tone (looped). */
export function launchWithTone() {
  return launch({ args: [`--use-file-for-fake-audio-capture=${glidingToneWav()}`] });
}

/**
 * Starts sampling, in the page, the levels of `userId` every 10 ms: [[Date.now(), received, played]].
 * @param {import("playwright-core").Page} page
 * @param {string} userId
 */
export async function startLevels(page, userId) {
  await page.evaluate((userId) => {
    const samples = /** @type {[number, number, number][]} */ ([]);
    window.__levels = samples;
    const num = (/** @type {number | null} */ v) => (typeof v === "number" ? v : -Infinity);
    const tick = () => {
      const mine = window.__voiceDebug.levels().find((l) => l.userId === userId);
      if (mine) samples.push([Date.now(), num(mine.received), num(mine.played)]);
      if (window.__levels === samples) setTimeout(tick, 10);
    };
    tick();
  }, userId);
}

/**
 * The samples taken in [from, to) (Date.now() ms): {received: dBFS[], played: dBFS[], at: ms[]}.
 * @param {import("playwright-core").Page} page
 */
export async function levelsBetween(page, from, to = Infinity) {
  const samples = await page.evaluate(() => window.__levels.map(([at, r, p]) => [at, String(r), String(p)]));
  const within = samples.filter(([at]) => at >= from && at < to);
  return {
    at: within.map(([at]) => at),
    received: within.map(([, r]) => Number(r)),
    played: within.map(([, , p]) => Number(p)),
  };
}

/** The median of a list of dBFS values (-Infinity sorts first). @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `userId`'s received (or played) level on `page` has stayed on one side of a line
 * for `forMs`. @param {import("playwright-core").Page} page
 * @param {"received" | "played"} which
 * @param {(dbfs: number) => boolean} test
 */
export async function waitForSteady(page, which, test, what, forMs = 500, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = Date.now();
    const window = await levelsBetween(page, now - forMs);
    if (window.at.length > forMs / 40 && window[which].every(test) && window.at[0] - (now - forMs) < 100) return;
    if (now > deadline) throw new Error(`${what}: never steady for ${forMs} ms; last ${JSON.stringify(window[which].slice(-20))}`);
    await sleep(50);
  }
}

/** Opens the settings dialog ("Audio devices"). @param {import("playwright-core").Page} page */
/**
 * Closes the settings dialog with Escape and waits until focus is back on its button: the
 * dialog's `close` event (which moves focus back) comes a task later, and a key pressed before it
 * lands on the wrong element.
 */
export async function closeSettings(page) {
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => document.activeElement?.id === "devices-button", null, { timeout: 5_000 });
}

export async function openSettings(page) {
  await page.getByRole("button", { name: "Audio devices" }).click();
  const dialog = page.getByRole("dialog", { name: "Audio devices" });
  await dialog.waitFor();
  return dialog;
}
