/**
 * Error classes with stable `code`s. Code branches on `err.code`, never on the
 * class: errors lose their class when they cross a worker boundary.
 */

/** A failure reported by the native core (`code` is `ERR_VS_<STATUS>`). */
export class NativeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NativeError';
    this.code = code;
  }
}

/** A capture file that cannot be read: names the file, byte offset and packet index. */
export class CaptureError extends Error {
  readonly code: string;
  readonly file: string;
  readonly byteOffset: number;
  readonly packetIndex: number;
  constructor(code: string, file: string, byteOffset: number, packetIndex: number, detail: string) {
    super(`${file}: ${detail} (at byte offset ${byteOffset}, packet index ${packetIndex})`);
    this.name = 'CaptureError';
    this.code = code;
    this.file = file;
    this.byteOffset = byteOffset;
    this.packetIndex = packetIndex;
  }
}

/** Prefixes of the codes whose message is written for the user (printed without a stack). */
const USER_FACING_PREFIXES = ['ERR_VS_', 'ERR_CAPTURE_', 'ERR_USAGE', 'ERR_TOPOLOGY_'];

/** True for errors that carry a stable `code` and a message meant for the user. */
export function isUserFacingError(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error)) return false;
  const code: unknown = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' && USER_FACING_PREFIXES.some((p) => code.startsWith(p));
}
