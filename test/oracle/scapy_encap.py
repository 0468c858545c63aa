#!/usr/bin/python3
"""Builds tunnel frames with scapy, the independent oracle of the encap tests
(test/tunnel/encap-scapy.test.ts runs it with /usr/bin/python3).

stdin: a JSON list of cases; each gives the outer fields explicitly (the
values our encap is expected to write: pinned source port, IP ID, DF, TTLs)
and the payload as hex (an Ethernet frame, or an IP packet for an L3 MPLS
payload). stdout: a JSON list of hex strings, one frame per case. Lengths
and checksums are left for scapy to compute (UDP checksum forced to 0 when
the case says "zero").
"""
import json
import sys

from scapy.all import Ether, Dot1Q, IP, IPv6, UDP, GRE, Raw
from scapy.contrib.mpls import MPLS
from scapy.layers.vxlan import VXLAN


def build(c):
    pkt = Ether(src=c["src_mac"], dst=c["dst_mac"])
    if c.get("vlan") is not None:
        pkt = pkt / Dot1Q(vlan=c["vlan"], prio=c.get("vlan_pcp", 0))
    if c["ipv6"]:
        pkt = pkt / IPv6(src=c["local"], dst=c["remote"], hlim=c["ttl"], tc=c["tos"], fl=c["flow_label"])
    else:
        pkt = pkt / IP(src=c["local"], dst=c["remote"], tos=c["tos"], ttl=c["ttl"], id=c["ip_id"],
                       flags="DF" if c["df"] else 0)
    if c["type"] == "mplsogre":
        if c.get("gre_key") is not None:
            pkt = pkt / GRE(proto=0x8847, key_present=1, key=c["gre_key"])
        else:
            pkt = pkt / GRE(proto=0x8847)
    else:
        udp = UDP(sport=c["sport"], dport=c["dport"])
        if c["udp_checksum"] == "zero":
            udp.chksum = 0
        pkt = pkt / udp
    if c["type"] == "vxlan":
        pkt = pkt / VXLAN(flags=0x08, vni=c["vni"])
    else:
        labels = c["labels"]
        for k, l in enumerate(labels):
            pkt = pkt / MPLS(label=l["label"], cos=l["tc"], s=1 if k == len(labels) - 1 else 0, ttl=l["ttl"])
        if c.get("control_word"):
            pkt = pkt / Raw(b"\x00\x00\x00\x00")
    pkt = pkt / Raw(bytes.fromhex(c["payload_hex"]))
    return bytes(pkt).hex()


def main():
    cases = json.load(sys.stdin)
    json.dump([build(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
