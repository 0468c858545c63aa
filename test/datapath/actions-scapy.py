# Builds (input, expected) frame pairs for test/datapath/actions.test.ts with
# scapy: the expected frame is scapy's own rendering of the rewritten headers
# with every checksum recomputed from scratch. Prints JSON {name: [in, out]}.
import json
from scapy.all import Ether, Dot1Q, IP, IPv6, UDP, TCP, ICMPv6EchoRequest, Raw

def h(p):
    return bytes(p).hex()

E = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
cases = {}
pay = Raw(b"payload-0123456789")

cases["udp4_rewrite"] = [
    Ether(**E) / IP(src="10.0.0.1", dst="10.0.0.2", ttl=64, tos=0x01, id=7) / UDP(sport=1000, dport=2000) / pay,
    Ether(src="02:00:00:00:00:01", dst="aa:bb:cc:dd:ee:ff") / IP(src="192.168.1.1", dst="172.16.0.9", ttl=63, tos=(46 << 2) | 0x01, id=7) / UDP(sport=53, dport=80) / pay,
]
cases["tcp4_push_vlan"] = [
    Ether(**E) / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1234, dport=80, flags="S") / pay,
    Ether(**E) / Dot1Q(vlan=10, prio=3) / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1234, dport=80, flags="S") / pay,
]
cases["udp4_pop_vlan"] = [
    Ether(**E) / Dot1Q(vlan=20) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / pay,
    Ether(**E) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / pay,
]
cases["tcp6_rewrite"] = [
    Ether(**E) / IPv6(src="fd00::1", dst="fd00::2", hlim=64, tc=0x02) / TCP(sport=4000, dport=443, flags="PA") / pay,
    Ether(**E) / IPv6(src="2001:db8::a", dst="2001:db8::b", hlim=9, tc=(10 << 2) | 0x02) / TCP(sport=4000, dport=8443, flags="PA") / pay,
]
cases["icmp6_rewrite"] = [
    Ether(**E) / IPv6(src="fd00::1", dst="fd00::2") / ICMPv6EchoRequest(id=1, seq=2),
    Ether(**E) / IPv6(src="fd00::1", dst="fd00::99") / ICMPv6EchoRequest(id=1, seq=2),
]
print(json.dumps({k: [h(a), h(b)] for k, (a, b) in cases.items()}))
