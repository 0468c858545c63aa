# Builds IPv6 fragment trains with scapy's fragment6() for
# test/offload/reassembly6.test.ts. stdin: JSON {"payload": n, "mtu": m};
# stdout: JSON list of {"orig": hex, "frags": [hex]} (Ethernet frames), one
# without and one with a hop-by-hop header in the unfragmentable part.
import json
import sys

from scapy.all import Ether, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, UDP, Raw, fragment6, raw

req = json.load(sys.stdin)
payload = bytes((k * 7 + 3) & 255 for k in range(req['payload']))
eth = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02', type=0x86DD)
out = []
for hbh in (False, True):
    base = IPv6(src='2001:db8::1', dst='2001:db8::2')
    if hbh:
        base = base / IPv6ExtHdrHopByHop()
    orig = raw(eth / base / UDP(sport=40000, dport=4789) / Raw(payload))
    frags = fragment6(base / IPv6ExtHdrFragment(id=0x1234) / UDP(sport=40000, dport=4789) / Raw(payload), req['mtu'])
    out.append({'orig': orig.hex(), 'frags': [(raw(eth) + raw(f)).hex() for f in frags]})
json.dump(out, sys.stdout)
