#!/usr/bin/env python3
"""Small socket client for the end-to-end tests. Every wait is bounded.

  plnet.py tcp PORT [--lines N] [--chunk K --pause MS] [--shut] [--close-check]
      sends stdin, prints what comes back (until N lines, EOF or timeout);
      --close-check then prints "<closed>" or "<open>" depending on whether
      the server closed the connection within the timeout.
  plnet.py udp PORT PAYLOAD...
      one datagram per PAYLOAD (backslash escapes allowed), prints each reply
      on its own line, or "<none>" when none came within the timeout.
  plnet.py udpburst PORT COUNT PAYLOAD
      sends PAYLOAD COUNT times back to back, prints the number of replies.
"""
import argparse
import socket
import sys
import time

from wallclock import sleep


def unescape(s):
    return s.encode("utf-8").decode("unicode_escape").encode("latin-1")


def cmd_tcp(a):
    data = sys.stdin.buffer.read()
    s = socket.create_connection((a.host, a.port), timeout=a.timeout,
                                 source_address=(a.source, 0) if a.source else None)
    step = a.chunk or max(len(data), 1)
    for i in range(0, len(data), step):
        s.sendall(data[i:i + step])
        if a.pause:
            sleep(a.pause / 1000.0)
    if a.shut:
        s.shutdown(socket.SHUT_WR)
    out, closed = b"", False
    deadline = time.monotonic() + a.timeout
    while a.lines is None or out.count(b"\n") < a.lines:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            r = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not r:
            closed = True
            break
        out += r
    sys.stdout.buffer.write(out)
    if a.close_check:
        if not closed:
            s.settimeout(a.timeout)
            try:
                while True:
                    r = s.recv(65536)
                    if not r:
                        closed = True
                        break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
        sys.stdout.write("<closed>\n" if closed else "<open>\n")


def cmd_udp(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    for p in a.payload:
        s.sendto(unescape(p), (a.host, a.port))
        try:
            r = s.recv(65536)
            sys.stdout.buffer.write(r.rstrip(b"\n") + b"\n")
        except socket.timeout:
            sys.stdout.write("<none>\n")
        sys.stdout.flush()


def cmd_udpburst(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    data = unescape(a.payload)
    for _ in range(a.count):
        s.sendto(data, (a.host, a.port))
    n = 0
    s.settimeout(a.timeout)
    try:
        while True:
            s.recv(65536)
            n += 1
    except socket.timeout:
        pass
    print(n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--timeout", type=float, default=5.0)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tcp")
    t.add_argument("port", type=int)
    t.add_argument("--lines", type=int)
    t.add_argument("--chunk", type=int, default=0)
    t.add_argument("--pause", type=float, default=0)
    t.add_argument("--shut", action="store_true")
    t.add_argument("--close-check", action="store_true")
    t.add_argument("--source", help="local address to connect from (a loopback one)")
    u = sub.add_parser("udp")
    u.add_argument("port", type=int)
    u.add_argument("payload", nargs="+")
    b = sub.add_parser("udpburst")
    b.add_argument("port", type=int)
    b.add_argument("count", type=int)
    b.add_argument("payload")
    a = ap.parse_args()
    {"tcp": cmd_tcp, "udp": cmd_udp, "udpburst": cmd_udpburst}[a.cmd](a)


if __name__ == "__main__":
    main()
