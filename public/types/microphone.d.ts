// Generated from public/microphone.js by scripts/types.sh; do not edit.
/** @param {MediaStream} stream */
export declare function stopStream(stream: MediaStream): void;
/**
 * Why getUserMedia failed, as a reason the page can explain.
 * @param {unknown} err
 * @returns {"microphone_denied"|"microphone_missing"|"microphone_busy"|"microphone_unavailable"}
 */
export declare function microphoneFailure(err: unknown): "microphone_denied" | "microphone_missing" | "microphone_busy" | "microphone_unavailable";
/** Root mean square of samples in -1..1. @param {Float32Array} samples */
export declare function rms(samples: Float32Array): number;
export type MicrophoneOptions = {
    constraints: MediaTrackConstraints;
    /**
     * Every SAMPLE_MS while metering.
     */
    onLevel: (level: number, now: number) => void;
    /**
     * A stream is in use (at join, or another device).
     */
    onOpened: (label: string) => void;
    /**
     * The device in use went away.
     */
    onEnded: () => void;
};
/**
 * @typedef {Object} MicrophoneOptions
 * @property {MediaTrackConstraints} constraints
 * @property {(level: number, now: number) => void} onLevel  Every SAMPLE_MS while metering.
 * @property {(label: string) => void} onOpened             A stream is in use (at join, or another device).
 * @property {() => void} onEnded                           The device in use went away.
 */
export declare class Microphone {
    options: MicrophoneOptions;
    /** @type {MediaStream | null} */
    stream: MediaStream | null;
    /** Whether the track is sent (false: muted, push-to-talk released, below the threshold). */
    enabled: boolean;
    /** The last level reading (RMS 0..1), for the settings dialog's meter. */
    lastLevel: number;
    /** @type {{source: MediaStreamAudioSourceNode, analyser: AnalyserNode, samples: Float32Array<ArrayBuffer>,
     *   clone: MediaStreamTrack | null} | null} */
    meter: {
        source: MediaStreamAudioSourceNode;
        analyser: AnalyserNode;
        samples: Float32Array<ArrayBuffer>;
        clone: MediaStreamTrack | null;
    } | null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    timer: ReturnType<typeof setInterval> | undefined;
    /** @param {MicrophoneOptions} options */
    constructor(options: MicrophoneOptions);
    /**
     * Asks for the microphone (the browser may ask the person). Rejects with getUserMedia's error.
     * @param {string | null} deviceId  null: the default device
     * @returns {Promise<MediaStream>}
     */
    open(deviceId: string | null): Promise<MediaStream>;
    /**
     * Opens the chosen microphone; one that is gone (a remembered device unplugged) falls back to
     * the default one. Resolves with the stream and the device actually used.
     * @param {string | null} deviceId
     */
    openPreferred(deviceId: string | null): Promise<{
        stream: MediaStream;
        deviceId: string | null;
    }>;
    /** The track peer connections send, if any. */
    get track(): MediaStreamTrack | null;
    /**
     * Uses a stream from `open` (stopping the previous one) and meters it on `context`.
     * @param {MediaStream} stream
     * @param {AudioContext | null} context
     */
    use(stream: MediaStream, context: AudioContext | null): void;
    /**
     * Switches the processing on the track in use and for every later `open`. Resolves whether the
     * track now reports it (getSettings); false when the browser could not change it live.
     * @param {{echoCancellation?: boolean, noiseSuppression?: boolean, autoGainControl?: boolean}} processing
     */
    applyProcessing(processing: {
        echoCancellation?: boolean;
        noiseSuppression?: boolean;
        autoGainControl?: boolean;
    }): Promise<boolean>;
    /** @param {boolean} enabled */
    setEnabled(enabled: boolean): void;
    /**
     * @param {MediaStream} stream
     * @param {AudioContext | null} context
     */
    startMeter(stream: MediaStream, context: AudioContext | null): void;
    sample(): void;
    stopMeter(): void;
    /** Releases the device and the meter. */
    stop(): void;
}
