/**
 * Stable `code`s of the CaptureError (src/errors.ts) thrown by the capture
 * readers and writer. Code branches on these strings, never on messages.
 */
export const CaptureCode = {
  /** The capture file does not exist. */
  NOT_FOUND: 'ERR_CAPTURE_NOT_FOUND',
  /** The file exists but cannot be opened or read (directory, permission, I/O error). */
  OPEN: 'ERR_CAPTURE_OPEN',
  /** The file ends inside a header, a block or a packet. */
  TRUNCATED: 'ERR_CAPTURE_TRUNCATED',
  /** Not a pcap or pcapng file (or a variant this reader does not read: modified pcap), or corrupt gzip data. */
  BAD_MAGIC: 'ERR_CAPTURE_BAD_MAGIC',
  /** A pcap or pcapng major version this reader does not know. */
  VERSION: 'ERR_CAPTURE_VERSION',
  /** A corrupt pcapng block: length not a multiple of 4, too small, trailer mismatch, overrunning option. */
  BAD_BLOCK: 'ERR_CAPTURE_BAD_BLOCK',
  /** A packet's captured length is larger than its wire length or than any accepted maximum. */
  CAPLEN: 'ERR_CAPTURE_CAPLEN',
  /** A link type the simulator does not read. */
  LINKTYPE: 'ERR_CAPTURE_LINKTYPE',
  /** A pcapng packet names an interface its section did not describe. */
  INTERFACE: 'ERR_CAPTURE_INTERFACE',
  /** A packet's timestamp cannot be written to a classic pcap (seconds outside [0, 2^32), e.g. from a pcapng if_tsoffset). */
  TIMESTAMP: 'ERR_CAPTURE_TIMESTAMP',
  /** Writing a capture failed (I/O error, or use after close). */
  WRITE: 'ERR_CAPTURE_WRITE',
} as const;

export type CaptureCodeValue = (typeof CaptureCode)[keyof typeof CaptureCode];
