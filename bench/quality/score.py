"""Scores recorded calls for the quality bench: for each pair (the sender's microphone and the
receiver's remote track, recorded from the same frame in one page), the mouth-to-ear delay by
cross-correlation and PESQ wideband (ITU-T P.862.2) MOS-LQO of the remote against the microphone,
sentence by sentence: each sentence of the microphone recording (speech between pauses) is aligned
with the remote on its own, because the receiver's jitter buffer moves its delay between sentences
(by 50-100 ms on this shared machine even without loss), which a listener does not hear but which
breaks one whole-file alignment. The MOS is the length-weighted mean over complete sentences, the
delay the median of their lags; `mos_whole` is PESQ over the whole file with one lag, for reference. Usage: score.py PAIRS.json  (a list of {"id", "local", "remote"} WAV paths);
prints a JSON list of {"id", "delay_ms", "mos", "sentences", "mos_whole", "corr", "error"}."""
import json
import sys

import numpy as np
from pesq import pesq
from scipy.io import wavfile
from scipy.signal import fftconvolve, resample_poly

RATE = 16000
MAX_DELAY_S = 1.5


def load16k(path):
    rate, data = wavfile.read(path)
    x = data.astype(np.float64) / 32768.0
    if rate != RATE:
        x = resample_poly(x, RATE, rate)
    return x


def delay_samples(local, remote):
    """How far the remote lags the microphone: the peak of their cross-correlation in [0, 1.5 s]."""
    corr = fftconvolve(remote, local[::-1], mode="full")
    zero = len(local) - 1
    window = corr[zero:zero + int(MAX_DELAY_S * RATE)]
    lag = int(np.argmax(window))
    norm = np.sqrt(np.sum(local ** 2) * np.sum(remote ** 2)) or 1.0
    return lag, float(window[lag] / norm)


def sentences(x):
    """(start, end) sample ranges of speech between pauses of at least 250 ms, 1 s or longer,
    that do not touch the recording's edges (a sentence cut by the start or end is left out)."""
    frame = RATE // 50
    rms = np.sqrt(np.mean(x[:len(x) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    active = rms > rms.max() * 0.05
    spans, start, quiet = [], None, 0
    for i, on in enumerate(active):
        if on:
            start = i if start is None else start
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet >= 13:
                spans.append((start, i - quiet + 1))
                start, quiet = None, 0
    edge = int(MAX_DELAY_S * RATE)
    return [(a * frame, b * frame) for a, b in spans
            if b - a >= 50 and a > 5 and b * frame < len(x) - edge]


def score_sentences(local, remote):
    pad = RATE // 10
    scores, lags, weights = [], [], []
    for a, b in sentences(local):
        ref = local[a - pad:b + pad]
        window = remote[a - pad:b + pad + int(MAX_DELAY_S * RATE)]
        corr = fftconvolve(window, ref[::-1], mode="valid")
        lag = int(np.argmax(corr))
        deg = remote[a - pad + lag:b + pad + lag]
        scores.append(pesq(RATE, ref, deg, "wb"))
        lags.append(lag)
        weights.append(b - a)
    if not scores:
        raise ValueError("no complete sentence in the microphone recording")
    return float(np.average(scores, weights=weights)), float(np.median(lags)) * 1000 / RATE, len(scores)


def score(pair):
    local = load16k(pair["local"])
    remote = load16k(pair["remote"])
    if np.max(np.abs(remote)) < 1e-4:
        return {"id": pair["id"], "error": "the remote recording is silent"}
    if np.max(np.abs(local)) < 1e-4:
        return {"id": pair["id"], "error": "the microphone recording is silent"}
    lag, corr = delay_samples(local, remote)
    n = min(len(local), len(remote) - lag)
    whole = pesq(RATE, local[:n], remote[lag:lag + n], "wb")
    mos, delay, count = score_sentences(local, remote)
    return {"id": pair["id"], "delay_ms": round(delay, 1), "mos": round(mos, 3), "sentences": count,
            "mos_whole": round(float(whole), 3), "corr": round(corr, 3)}


def main():
    with open(sys.argv[1]) as f:
        pairs = json.load(f)
    out = []
    for pair in pairs:
        try:
            out.append(score(pair))
        except Exception as err:  # a bad recording is reported, not fatal to the others
            out.append({"id": pair["id"], "error": f"{type(err).__name__}: {err}"})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
