/**
 * Which captured lengths a reader accepts.
 *
 * What other tools do (checked against libpcap's sf-pcap.c and tshark 4.0):
 * - caplen > the file's snaplen: libpcap accepts it when caplen is at most
 *   its per-link-type maximum (262144 for every link type we read), reading
 *   the packet but cutting it to snaplen; Wireshark accepts it too and keeps
 *   every byte. Real files do this (Solaris bufmod, tools that write a wrong
 *   snaplen), so we accept it and keep every byte, as Wireshark does: cutting
 *   would silently change the packets replayed.
 * - caplen > 262144 and > snaplen: both refuse ("bigger than maximum of
 *   262144" / "appears to be damaged or corrupt"); so do we. A file whose
 *   snaplen says larger packets are expected (BIG TCP captures) is read up
 *   to that snaplen.
 * - caplen > 256 MiB: refused whatever the snaplen says, before anything is
 *   buffered, so a corrupt length never makes us allocate gigabytes.
 * - caplen > wire length: tshark reads the packet and flags "Frame length is
 *   less than captured length". A packet cannot have more captured bytes than
 *   it had on the wire, the simulator's batch assumes it cannot, and in
 *   classic pcap this is the first sign of a misaligned (corrupt) record, so
 *   we refuse it.
 */

/** Hard limit on one packet's captured length, whatever the file says. */
export const ABSURD_CAPLEN = 256 * 1024 * 1024;

/** libpcap's MAXIMUM_SNAPLEN and Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD. */
export const STANDARD_MAX_SNAPLEN = 262144;

/** The largest caplen accepted on an interface with this snaplen (0: no limit given). */
export function caplenLimit(snaplen: number): number {
  if (snaplen === 0) return ABSURD_CAPLEN;
  return Math.min(Math.max(snaplen, STANDARD_MAX_SNAPLEN), ABSURD_CAPLEN);
}

/** Why a (caplen, wire length) pair is refused on an interface with this snaplen, or undefined when accepted. */
export function caplenProblem(caplen: number, wireLength: number, snaplen: number): string | undefined {
  if (caplen > ABSURD_CAPLEN) return `captured length ${caplen} is implausibly large (limit ${ABSURD_CAPLEN} bytes); the record is corrupt`;
  if (caplen > caplenLimit(snaplen))
    return `captured length ${caplen} exceeds the snapshot length ${snaplen} and the ${STANDARD_MAX_SNAPLEN}-byte maximum libpcap and Wireshark accept`;
  if (caplen > wireLength)
    return `captured length ${caplen} is larger than the wire length ${wireLength} (tshark: "Frame length is less than captured length"); the record is corrupt`;
  return undefined;
}
