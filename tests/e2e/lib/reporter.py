#!/usr/bin/env python3
"""A lane that sends REPORTs without pause, for the crash tests.

  reporter.py PORT PREFIX ACKFILE [--window N] [--code C] [--store S]

Sends REPORT requests with ids PREFIX-1, PREFIX-2, ... over one TCP
connection, up to N unanswered at a time (pipelined), and appends the id of
every report acknowledged with status ok to ACKFILE, flushed at once: what
the lane was told is recorded. Ends when the server goes away (exit 0) or
on a reply that is not ok (exit 1, the reply on stderr). Every wait is
bounded (a server that stops answering for 10 s ends the run).
"""
import argparse
import json
import socket
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("prefix")
    p.add_argument("ackfile")
    p.add_argument("--window", type=int, default=8)
    p.add_argument("--code", default="6901234567892")
    p.add_argument("--store", default="S1")
    a = p.parse_args()
    try:
        s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    except OSError:
        return 0
    out = open(a.ackfile, "a")
    sent = acked = 0
    buf = b""
    while True:
        try:
            batch = b""
            while sent - acked < a.window:
                sent += 1
                batch += ("REPORT %s id=%s-%d store=%s lane=L1 cashier=c1 kind=price "
                          "shelf=%d\n" % (a.code, a.prefix, sent, a.store, 100 + sent % 50)).encode()
            s.sendall(batch)
            r = s.recv(65536)
        except (OSError, socket.timeout):
            return 0
        if not r:
            return 0
        buf += r
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            rep = json.loads(line)
            if rep.get("status") != "ok":
                print("not ok: %s" % line.decode(errors="replace"), file=sys.stderr)
                return 1
            acked += 1
            out.write(rep["report"] + "\n")
            out.flush()


if __name__ == "__main__":
    sys.exit(main())
