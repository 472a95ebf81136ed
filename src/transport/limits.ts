/**
 * Every bound the HTTP client puts on what a server sends. A mirror is an adversary: each size it
 * controls is capped here, with the reason for the number next to it.
 */

/**
 * Status line and header lines of one response head, line ends included. Real mirrors send well under
 * 2 KiB; Node's own limit was 8 KiB until redirect URLs with long signed queries and large cookies
 * pushed it to 16 KiB. 32 KiB leaves room for such heads and still refuses a server that streams
 * header lines forever long before it costs anything.
 */
export const MAX_HEAD_BYTES = 32 * 1024;

/** The trailer section after a chunked body: the same reasoning and size as a head. */
export const MAX_TRAILER_BYTES = 32 * 1024;

/**
 * Interim (1xx) responses skipped before the final one. A server sends 100 Continue or a 103 Early
 * Hints or two; more than 16 is a server looping, and each can be a 32 KiB head.
 */
export const MAX_INTERIM_RESPONSES = 16;

/**
 * A chunk-size line with its extensions. The size is at most 13 hex digits; extensions carry nothing
 * we use (and servers rarely send any), so 1 KiB is generous and bounds a line dripped without end.
 */
export const MAX_CHUNK_LINE_BYTES = 1024;

/**
 * Hex digits of a chunk size: 13 digits reach 2^52 - 1, the largest that stays an exact JavaScript
 * number after any additions the body length needs, so no size can overflow.
 */
export const MAX_CHUNK_SIZE_DIGITS = 13;

/** Content-Length and the running total of a chunked body: exact integers in a double. */
export const MAX_BODY_LENGTH = Number.MAX_SAFE_INTEGER;

/** Digits of a Content-Length: 16 is the length of 2^53 - 1; more cannot be valid. */
export const MAX_CONTENT_LENGTH_DIGITS = 16;

/**
 * How long an idle kept-alive connection waits for the next request before we close it. Below the
 * 5 s that Apache, lighttpd and Node's server use (nginx uses 75 s), so that we normally close first
 * and rarely send a request on a socket the server is closing; longer gaps are between jobs, where a
 * fresh connection costs milliseconds against seconds of downloading.
 */
export const KEEP_ALIVE_IDLE_MS = 4000;

/**
 * The buffer each plain-TCP connection reads into. Measured with bench/transport.ts from loopback
 * nginx (medians of 9, on a loaded 2-core machine): a 1 GiB file costs 0.70 s of CPU with 256 KiB,
 * 0.57 s with 512 KiB and 0.46 s with 1 MiB (fewer reads and callbacks per byte; curl: 0.88 s);
 * 400 files of ~1.2 MB cost the same with all three (0.26 s). Only the pages a read fills become
 * resident, so on a slow link a connection costs what its reads bring, not 1 MiB.
 */
export const DEFAULT_READ_BUFFER_BYTES = 1024 * 1024;
