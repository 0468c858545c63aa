#!/usr/bin/env python3
"""Writes fuzzer seeds from every classic pcap / pcapng capture under a folder.

Each seed is [control byte][0][frame]: the control byte selects the capture's
link type the way native/fuzz/parse_fuzz.cc reads it (1 Ethernet, 2 PPP,
3 raw IP, 4 SLL, 5 IPv4, 6 IPv6, 7 SLL2). Frames of other link types are skipped.
  python3 scripts/fuzz-seeds.py CORPORA_DIR OUT_DIR
"""
import hashlib
import os
import struct
import sys

CONTROL = {1: 1, 9: 2, 101: 3, 113: 4, 228: 5, 229: 6, 276: 7}
MAX_FRAME = 4094


def frames_pcap(data):
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        return None, []
    link = struct.unpack(e + 'I', data[20:24])[0] & 0x0FFFFFFF
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return link, out


def frames_pcapng(data):
    if data[:4] != b'\x0a\x0d\x0d\x0a':
        return None, []
    e = '<' if data[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
    link, out, off = None, [], 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack(e + 'II', data[off:off + 8])
        if blen < 12:
            break
        if btype == 1 and link is None:
            link = struct.unpack(e + 'H', data[off + 8:off + 10])[0]
        elif btype == 6:
            incl = struct.unpack(e + 'I', data[off + 20:off + 24])[0]
            out.append(data[off + 28:off + 28 + incl])
        off += blen
    return link, out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    n = 0
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(('.pcap', '.pcapng')):
                continue
            data = open(os.path.join(root, name), 'rb').read()
            link, frames = frames_pcap(data)
            if link is None:
                link, frames = frames_pcapng(data)
            if link not in CONTROL:
                continue
            for f in frames:
                seed = bytes([CONTROL[link], 0]) + f[:MAX_FRAME]
                path = os.path.join(dst, hashlib.sha1(seed).hexdigest()[:16])
                with open(path, 'wb') as out:
                    out.write(seed)
                n += 1
    print(f'{n} seeds in {dst}')


if __name__ == '__main__':
    main()
