#!/usr/bin/env python3
"""Plays an NQuire price checker against pricelaned's CIT port.

  nquire.py tcp PORT [--src IP] [--enc utf-8|gb18030] [--raw] LINE...
      connects from IP (default 127.0.0.1), sends each LINE as the device
      does (the code, then CR LF), closes its sending side and reads the
      answers until the server closes: one screen per line, printed one per
      output line.
  nquire.py udp PORT [--src IP] [--listen PORT] [--enc ...] [--raw] LINE...
      sends each LINE (with CR LF) in one datagram from IP, one after the
      other, and prints the screen that comes back for each, received on the
      sending socket or, with --listen, on a socket bound to that port (the
      device's own answer port).

A screen is printed with its text decoded (--enc) and every other byte
written \\xNN, so an expectation in a test reads like the screen; --raw
prints the bytes in hex instead. LINE may hold \\xNN escapes (binary
input). Exit 2 when no answer comes within 5 s."""
import argparse
import re
import socket
import sys


def unescape(s):
    return re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  s.encode("utf-8"))


def show(data, enc, raw):
    if raw:
        return data.hex()
    out = []
    i = 0
    while i < len(data):
        b = data[i]
        if b < 0x20 or b == 0x7f:
            out.append("\\x%02x" % b)
            i += 1
            continue
        # the longest run of text bytes, decoded as the device would
        j = i
        while j < len(data) and data[j] >= 0x20 and data[j] != 0x7f:
            j += 1
        out.append(data[i:j].decode(enc, errors="backslashreplace"))
        i = j
    return "".join(out)


def screens(data):
    """Splits a stream of answers at each clear-screen command."""
    parts = re.split(rb"(?=\x1b[\x24\x25])", data)
    return [p for p in parts if p]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["tcp", "udp"])
    ap.add_argument("port", type=int)
    ap.add_argument("lines", nargs="+")
    ap.add_argument("--src", default="127.0.0.1")
    ap.add_argument("--listen", type=int, default=0)
    ap.add_argument("--enc", default="utf-8")
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--no-break", action="store_true", help="send lines without CR LF")
    a = ap.parse_args()
    end = b"" if a.no_break else b"\r\n"
    try:
        if a.mode == "tcp":
            s = socket.create_connection(("127.0.0.1", a.port), timeout=5,
                                         source_address=(a.src, 0))
            s.sendall(b"".join(unescape(l) + end for l in a.lines))
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            for scr in screens(data):
                print(show(scr, a.enc, a.raw))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((a.src, 0))
            s.settimeout(5)
            r = s
            if a.listen:
                r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                r.bind((a.src, a.listen))
                r.settimeout(5)
            for line in a.lines:
                s.sendto(unescape(line) + end, ("127.0.0.1", a.port))
                data, _ = r.recvfrom(65536)
                print(show(data, a.enc, a.raw))
    except socket.timeout:
        print("no answer within 5 s", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
