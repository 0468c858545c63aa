/**
 * Link-layer header types (the LINKTYPE_* registry of tcpdump.org, the values
 * written in pcap and pcapng files) that the simulator reads, and names for
 * the others so that errors can say what a file holds.
 */

/** The link types the simulator's packet parser accepts (canonical values). */
export const LinkType = {
  /** LINKTYPE_ETHERNET: Ethernet II / 802.3 frames. */
  ETHERNET: 1,
  /** LINKTYPE_PPP: PPP in HDLC-like framing (address/control optional), RFC 1661 protocol field. */
  PPP: 9,
  /** LINKTYPE_RAW: a bare IPv4 or IPv6 packet (version nibble decides). */
  RAW: 101,
  /** LINKTYPE_LINUX_SLL: Linux "cooked" capture v1 (tcpdump -i any, older libpcap). */
  LINUX_SLL: 113,
  /** LINKTYPE_IPV4: a bare IPv4 packet. */
  IPV4: 228,
  /** LINKTYPE_IPV6: a bare IPv6 packet. */
  IPV6: 229,
  /** LINKTYPE_LINUX_SLL2: Linux "cooked" capture v2 (libpcap >= 1.10 with -i any). */
  LINUX_SLL2: 276,
} as const;

export type SupportedLinkType = (typeof LinkType)[keyof typeof LinkType];

const SUPPORTED = new Set<number>(Object.values(LinkType));

/**
 * File values that mean raw IP without being LINKTYPE_RAW: DLT_RAW is 12 on
 * most systems and 14 on OpenBSD, and some writers put the DLT value in the
 * file instead of mapping it to 101. libpcap maps both back to DLT_RAW and
 * tshark 4.0 decodes both as raw IP (checked: a 12 and a 14 file with an IPv4
 * packet decode as IPv4/UDP), so the reader reports them as RAW.
 */
const RAW_ALIASES = new Set<number>([12, 14]);

/** The canonical supported link type for a value found in a file, or undefined. */
export function canonicalLinkType(fileValue: number): SupportedLinkType | undefined {
  if (RAW_ALIASES.has(fileValue)) return LinkType.RAW;
  return SUPPORTED.has(fileValue) ? (fileValue as SupportedLinkType) : undefined;
}

const NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'NULL (BSD loopback)'],
  [1, 'ETHERNET'],
  [6, 'IEEE802_5 (Token Ring)'],
  [9, 'PPP'],
  [10, 'FDDI'],
  [12, 'RAW (DLT_RAW)'],
  [14, 'RAW (DLT_RAW on OpenBSD)'],
  [50, 'PPP_HDLC'],
  [51, 'PPP_ETHER (PPPoE)'],
  [101, 'RAW'],
  [104, 'C_HDLC (Cisco HDLC)'],
  [105, 'IEEE802_11 (Wi-Fi)'],
  [108, 'LOOP (OpenBSD loopback)'],
  [113, 'LINUX_SLL'],
  [119, 'PRISM_HEADER (802.11)'],
  [127, 'IEEE802_11_RADIOTAP'],
  [147, 'USER0'],
  [162, 'USER15'],
  [189, 'USB_LINUX'],
  [192, 'PPI'],
  [195, 'IEEE802_15_4'],
  [201, 'BLUETOOTH_HCI_H4_WITH_PHDR'],
  [220, 'USB_LINUX_MMAPPED'],
  [228, 'IPV4'],
  [229, 'IPV6'],
  [249, 'NETLINK'],
  [252, 'WIRESHARK_UPPER_PDU'],
  [274, 'NFLOG'],
  [276, 'LINUX_SLL2'],
]);

/** "LINKTYPE_<NAME> (N)" for known values, "unknown link type N" otherwise. */
export function describeLinkType(fileValue: number): string {
  const name = NAMES.get(fileValue);
  return name === undefined ? `unknown link type ${fileValue}` : `link type ${fileValue} LINKTYPE_${name}`;
}

/** The message used when a file holds packets of a link type the simulator does not read. */
export function unsupportedLinkTypeDetail(fileValue: number): string {
  return `${describeLinkType(fileValue)} is not supported (supported: ETHERNET 1, RAW 101 (and DLT_RAW 12/14), LINUX_SLL 113, IPV4 228, IPV6 229, LINUX_SLL2 276)`;
}
