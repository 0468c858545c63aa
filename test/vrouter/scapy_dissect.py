#!/usr/bin/python3
"""Independent oracle for the vRouter scenario tests: scapy dissects every
frame of a pcap (argv[1]) and prints, per frame, a JSON object with the
outer IPv4 fields, the UDP ports and checksum, the GRE protocol, the MPLS
label stack, the VXLAN flags and VNI, the innermost IP fields, and whether
every IPv4 header, TCP, UDP and ICMP checksum scapy recomputes equals the one
on the wire (an IPv4 UDP checksum of 0 counts as "none", as RFC 768 says).
"""
import json
import sys

from scapy.all import GRE, ICMP, IP, TCP, UDP, Ether, rdpcap, raw
from scapy.contrib.mpls import MPLS
from scapy.layers.vxlan import VXLAN


CSUM = (IP, TCP, UDP, ICMP)


def checksums(pkt):
    """(class name, checksum) of every IPv4/TCP/UDP/ICMP layer, outermost first."""
    return [(l.__class__.__name__, l.chksum) for l in pkt.iterpayloads() if l.__class__ in CSUM]


def checksums_ok(pkt):
    """Recompute every checksum at once (scapy builds inner layers first) and compare."""
    wire = checksums(pkt)
    copy = pkt.copy()
    for l in copy.iterpayloads():
        if l.__class__ in CSUM:
            l.chksum = None
    again = checksums(Ether(raw(copy)))
    for (name, w), (_, r), layer in zip(wire, again, [l for l in pkt.iterpayloads() if l.__class__ in CSUM]):
        if name == "UDP" and w == 0 and isinstance(layer.underlayer, IP):
            continue  # no checksum (RFC 768), what vRouter sends on the outer UDP
        if w != r:
            return False
    return len(wire) == len(again)


def dissect(pkt):
    out = {"ok": True, "mpls": []}
    ips = [l for l in pkt.iterpayloads() if isinstance(l, IP)]
    if ips:
        o = ips[0]
        out["outer"] = {"src": o.src, "dst": o.dst, "ttl": o.ttl, "df": bool(o.flags & 2), "id": o.id, "proto": o.proto}
        i = ips[-1]
        out["inner"] = {"src": i.src, "dst": i.dst, "ttl": i.ttl, "id": i.id, "proto": i.proto}
    if UDP in pkt:
        u = pkt[UDP]
        out["udp"] = {"sport": u.sport, "dport": u.dport, "chksum": u.chksum}
    if GRE in pkt:
        out["gre"] = {"proto": pkt[GRE].proto, "flags": int(pkt[GRE].chksum_present) * 8 + int(pkt[GRE].key_present) * 2}
    layer = pkt.getlayer(MPLS)
    while layer is not None and isinstance(layer, MPLS):
        out["mpls"].append({"label": layer.label, "ttl": layer.ttl, "s": layer.s})
        layer = layer.payload
    if VXLAN in pkt:
        out["vxlan"] = {"flags": int(pkt[VXLAN].flags), "vni": pkt[VXLAN].vni}
    eths = [l for l in pkt.iterpayloads() if isinstance(l, Ether)]
    out["inner_eth"] = {"src": eths[-1].src, "dst": eths[-1].dst} if len(eths) > 1 else None
    out["ok"] = checksums_ok(pkt)
    return out


print(json.dumps([dissect(p) for p in rdpcap(sys.argv[1])]))
