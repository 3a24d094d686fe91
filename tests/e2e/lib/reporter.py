#!/usr/bin/env python3
"""A lane that sends REPORTs without pause, for the crash tests.

  reporter.py PORT PREFIX ACKFILE [--window N] [--code C] [--store S]
              [--rate R --duration S --conns N [--ping]]

Sends REPORT requests with ids PREFIX-1, PREFIX-2, ... over one TCP
connection, up to N unanswered at a time (pipelined), and appends the id of
every report acknowledged with status ok to ACKFILE, flushed at once: what
the lane was told is recorded. Ends when the server goes away (exit 0) or
on a reply that is not ok (exit 1, the reply on stderr). Every wait is
bounded (a server that stops answering for 10 s ends the run).

With --rate, reports leave at R per second over N connections (default
32: a store's lanes; each connection waits for its report's disk sync, the
writer commits the connections' reports together), at most --window
unanswered, for --duration seconds; the run then prints the
reports sent and acknowledged and the acknowledged rate as one JSON line
(bench/reports/run: a store's lanes reporting while lookups are measured).
"""
import argparse
import json
import select
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("prefix")
    p.add_argument("ackfile")
    p.add_argument("--window", type=int, default=8)
    p.add_argument("--code", default="6901234567892")
    p.add_argument("--store", default="S1")
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--conns", type=int, default=32)
    p.add_argument("--ping", action="store_true",
                   help="--rate: PING instead of REPORT (the same client and traffic, no report)")
    a = p.parse_args()
    if a.rate:
        return paced(a)
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


def paced(a):
    """--rate: over --conns connections (a store's lanes), each report to the
    connection with the fewest unanswered."""
    socks = [socket.create_connection(("127.0.0.1", a.port), timeout=10) for _ in range(a.conns)]
    for s in socks:
        s.setblocking(False)
    pending = {s: 0 for s in socks}
    bufs = {s: b"" for s in socks}
    sent = acked = 0
    t0 = time.monotonic()
    end = t0 + a.duration
    while True:
        now = time.monotonic()
        if now < end:
            due = int((now - t0) * a.rate) - sent
            while due > 0 and sent - acked < a.window:
                s = min(socks, key=lambda x: pending[x])
                sent += 1
                due -= 1
                pending[s] += 1
                if a.ping:
                    s.sendall(b"PING\n")
                else:
                    s.sendall(("REPORT %s id=%s-%d store=%s lane=L%d cashier=c1 kind=price "
                               "shelf=%d\n" % (a.code, a.prefix, sent, a.store, socks.index(s),
                                               100 + sent % 50)).encode())
        elif acked == sent or now > end + 10:
            break
        ready, _, _ = select.select(socks, [], [], 0.005)
        for s in ready:
            data = s.recv(65536)
            if not data:
                return 1
            bufs[s] += data
            while b"\n" in bufs[s]:
                line, bufs[s] = bufs[s].split(b"\n", 1)
                pending[s] -= 1
                if line.startswith(b'{"status":"ok"') or line == b"PONG":  # no parse: cheap
                    acked += 1
    took = time.monotonic() - t0
    print(json.dumps({"sent": sent, "acked": acked, "conns": a.conns, "seconds": round(took, 2),
                      "acked_per_s": round(acked / a.duration, 1)}))
    return 0 if acked == sent else 1


if __name__ == "__main__":
    sys.exit(main())
