#!/usr/bin/python3
"""Builds, with scapy, the segments a TCP super-packet inside MPLSoUDP or
MPLSoGRE must become (the reference of test/offload/mpls-gso-scapy.test.ts,
run with /usr/bin/python3; MPLS tunnels are not in the Linux kernel oracle).

stdin: a JSON list of cases: the outer fields (MACs, addresses, TTL, first
IPv4 ID, UDP source port and checksum mode, GRE key, labels with their TTL),
the inner TCP/IP fields of the super-packet (addresses, ports, seq, ack,
flags, IPv4 ID, TTL), its payload as hex and the MSS. stdout: a JSON list,
per case a list of hex frames, one per segment.

Segmentation rules written here from SEMANTICS.md (Linux): segment k carries
payload[k*mss : (k+1)*mss], seq0 + k*mss, inner IPv4 ID id0 + k, FIN and PSH
only on the last segment, CWR only on the first; outer IPv4 ID id0 + k.
Every length and checksum is left for scapy to compute (outer UDP checksum
forced to 0 when the case says "zero").
"""
import json
import sys

from scapy.all import Ether, IP, IPv6, UDP, TCP, GRE, Raw
from scapy.contrib.mpls import MPLS

FIN, PSH, CWR = 0x01, 0x08, 0x80


def segments(c):
    payload = bytes.fromhex(c["payload"])
    mss = c["mss"]
    chunks = [payload[o:o + mss] for o in range(0, len(payload), mss)]
    frames = []
    for k, chunk in enumerate(chunks):
        last = k == len(chunks) - 1
        flags = c["tcp_flags"]
        if not last:
            flags &= ~(FIN | PSH)
        if k > 0:
            flags &= ~CWR
        tcp = TCP(sport=c["sport"], dport=c["dport"], seq=(c["seq"] + k * mss) & 0xFFFFFFFF, ack=c["ack"],
                  flags=flags, window=c["window"])
        if c["inner_v6"]:
            inner = IPv6(src=c["inner_src"], dst=c["inner_dst"], hlim=c["inner_ttl"]) / tcp / Raw(chunk)
        else:
            inner = IP(src=c["inner_src"], dst=c["inner_dst"], ttl=c["inner_ttl"], id=(c["inner_id"] + k) & 0xFFFF,
                       flags="DF") / tcp / Raw(chunk)
        pkt = Ether(src=c["src_mac"], dst=c["dst_mac"])
        if c["outer_v6"]:
            pkt = pkt / IPv6(src=c["local"], dst=c["remote"], hlim=c["ttl"])
        else:
            pkt = pkt / IP(src=c["local"], dst=c["remote"], ttl=c["ttl"], id=(c["ip_id"] + k) & 0xFFFF, flags=0)
        if c["type"] == "mplsogre":
            if c.get("gre_key") is not None:
                pkt = pkt / GRE(proto=0x8847, key_present=1, key=c["gre_key"])
            else:
                pkt = pkt / GRE(proto=0x8847)
        else:
            udp = UDP(sport=c["udp_sport"], dport=6635)
            if c["udp_checksum"] == "zero":
                udp.chksum = 0
            pkt = pkt / udp
        labels = c["labels"]
        for n, label in enumerate(labels):
            pkt = pkt / MPLS(label=label, cos=0, s=1 if n == len(labels) - 1 else 0, ttl=c["mpls_ttl"])
        pkt = pkt / inner
        frames.append(bytes(pkt).hex())
    return frames


def main():
    cases = json.load(sys.stdin)
    json.dump([segments(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
