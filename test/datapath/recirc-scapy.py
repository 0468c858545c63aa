# Builds tunnel frames for test/datapath/recirc.test.ts with scapy, each with
# the frame a receiver should leave after decapsulation (scapy's own rendering
# of the inner packet; for an MPLS IP payload, the Ethernet header from the
# label table entry in front of the inner IP packet). Prints JSON
# {name: [outer, inner]}.
import json
from scapy.all import Ether, IP, IPv6, UDP, TCP, GRE, Raw
from scapy.layers.vxlan import VXLAN
from scapy.contrib.mpls import MPLS

def h(p):
    return bytes(p).hex()

OUT = Ether(src="02:00:00:00:aa:01", dst="02:00:00:00:aa:02")
O4 = IP(src="192.0.2.1", dst="192.0.2.2", ttl=64, id=1)
inner = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1234, dport=80, flags="S") / Raw(b"inner-payload")
inner_ip = IP(src="10.9.0.1", dst="10.9.0.2", ttl=33) / UDP(sport=5000, dport=6000) / Raw(b"l3-payload")
# The label entry's Ethernet header (destination 02:00:00:00:00:22, source 02:00:00:00:00:11).
inner_ip_eth = Ether(dst="02:00:00:00:00:22", src="02:00:00:00:00:11", type=0x0800) / inner_ip

cases = {}
cases["vxlan_known"] = [OUT / O4 / UDP(sport=49152, dport=4789) / VXLAN(vni=1000, flags=0x08) / inner, inner]
cases["vxlan_unknown"] = [OUT / O4 / UDP(sport=49153, dport=4789) / VXLAN(vni=77, flags=0x08) / inner, inner]
cases["mplsoudp_eth"] = [OUT / O4 / UDP(sport=49154, dport=6635) / MPLS(label=100, s=1, ttl=64) / Raw(b"\x00\x00\x00\x00") / inner, inner]
cases["mplsoudp_unknown"] = [OUT / O4 / UDP(sport=49155, dport=6635) / MPLS(label=55, s=1, ttl=64) / Raw(b"\x00\x00\x00\x00") / inner, inner]
cases["mplsogre_ip"] = [OUT / O4 / GRE(proto=0x8847) / MPLS(label=200, s=1, ttl=64) / inner_ip, inner_ip_eth]
print(json.dumps({k: [h(a), h(b)] for k, (a, b) in cases.items()}))
