// Generated from public/room-messages.js by scripts/types.sh; do not edit.
export type VoiceRoom = import("./voice.js").VoiceRoom;
export type ServerMsg = import("./protocol.js").ServerMsg;
export type JoinedMsg = import("./protocol.js").JoinedMsg;
export type Member = import("./protocol.js").Member;
/**
 * @param {VoiceRoom} room
 * @returns {import("./socket.js").Handlers<ServerMsg>}
 */
export declare function roomHandlers(room: VoiceRoom): import("./socket.js").Handlers<ServerMsg>;
/**
 * The socket closed. Once joined, anything but an ending code is resumed; otherwise the call is
 * over: a contract reason from the code, else refused (before `joined`) or lost.
 * @param {VoiceRoom} room
 * @param {number} code
 * @param {string} reason  the close frame's reason text
 */
export declare function socketClosed(room: VoiceRoom, code: number, reason: string): void;
