#!/usr/bin/env python3
"""Freshness check for the end-to-end tests.

Opens TCP connections and UDP sockets until every worker of the server holds
at least one of each (told apart by the per-worker counters of /stats), then
applies N change batches with pricelane-load; as soon as the loader has
exited, asks for the changed item on every connection and socket. Any answer
with an older price or generation is stale. Then a promotion whose window
opens two seconds ahead is applied and watched switching on and off at its
instants with no loader run.

usage: freshness.py LOADER DB PORT ADMIN BATCHES WORKDIR
"""
import datetime
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

from wallclock import sleep, wall

LOADER, DB, PORT, ADMIN, N, WORK = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
CODE = b"6901234567892"  # item 100001
RUN = "%x" % int(wall() * 1000)


def stats():
    with urllib.request.urlopen("http://127.0.0.1:%d/stats" % ADMIN, timeout=5) as r:
        return json.load(r)


def per_worker(key):
    return [w[key] for w in stats()["workers"]]


def readline(s, buf):
    while b"\n" not in buf[0]:
        d = s.recv(65536)
        if not d:
            raise RuntimeError("connection closed")
        buf[0] += d
    line, _, rest = buf[0].partition(b"\n")
    buf[0] = rest
    return line


def cover_tcp(nworkers):
    conns, seen = [], set()
    for _ in range(64):
        before = per_worker("req_tcp_other")
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        buf = [b""]
        s.sendall(b"PING\n")
        assert readline(s, buf) == b"PONG"
        after = per_worker("req_tcp_other")
        w = [i for i in range(nworkers) if after[i] != before[i]]
        if w and w[0] not in seen:
            seen.add(w[0])
            conns.append((s, buf))
        else:
            s.close()
        if len(seen) == nworkers:
            break
    return conns, len(seen)


def cover_udp(nworkers):
    socks, seen = [], set()
    for _ in range(64):
        before = per_worker("req_udp_other")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.connect(("127.0.0.1", PORT))
        s.send(b"PING")
        assert s.recv(4096).strip() == b"PONG"
        after = per_worker("req_udp_other")
        w = [i for i in range(nworkers) if after[i] != before[i]]
        if w and w[0] not in seen:
            seen.add(w[0])
            socks.append(s)
        else:
            s.close()
        if len(seen) == nworkers:
            break
    return socks, len(seen)


def apply(rows, name):
    path = "%s/%s.csv" % (WORK, name)
    with open(path, "w") as f:
        f.write(rows)
    out = subprocess.run([LOADER, "apply", "--db", DB, path], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("apply failed: " + out.stdout + out.stderr)
    m = re.search(r"generation (\d+)", out.stdout)
    return int(m.group(1))


def udp_get(s, tag):
    s.send(b"#%s GET %s" % (tag, CODE))
    for _ in range(5):  # the reply to this tag; an older one would be skipped
        a = json.loads(s.recv(65536))
        if a.get("tag") == tag.decode():
            return a
    raise RuntimeError("no reply for tag")


def main():
    nworkers = stats()["threads"]
    conns, tcov = cover_tcp(nworkers)
    socks, ucov = cover_udp(nworkers)
    print("ok   every worker reached: tcp %d/%d, udp %d/%d" % (tcov, nworkers, ucov, nworkers))
    bad = int(tcov != nworkers) + int(ucov != nworkers)

    stale = lookups = 0
    for i in range(1, N + 1):
        price = 100000 + i
        gen = apply("op,batch,sku,price\nprice,f%s-%d,100001,%d.%02d\n" % (RUN, i, price // 100, price % 100), "b%d" % i)
        answers = []
        for s, _ in conns:
            s.sendall(b"GET " + CODE + b"\n")
        for s, buf in conns:
            answers.append(json.loads(readline(s, buf)))
        for k, s in enumerate(socks):
            answers.append(udp_get(s, b"f%dk%d" % (i, k)))
        for a in answers:
            lookups += 1
            if a["price"] != price or a["gen"] < gen:
                stale += 1
                if stale <= 5:
                    print("     stale after batch %d (gen %d, price %d): %s" % (i, gen, price, json.dumps(a)))
    print("%s %d batches, %d lookups right after each loader exit: %d stale" % (
        "ok  " if stale == 0 else "FAIL", N, lookups, stale))
    bad += int(stale != 0)

    # A promotion two seconds ahead, one second long: it switches by the clock.
    t0 = int(wall()) + 3
    iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()
    apply("op,batch,promo,kind,items,price,start,end\npromo,f%s-promo,PF%s,special,100001,9.99,%s,%s\n"
          % (RUN, RUN, iso(t0), iso(t0 + 2)), "promo")
    s, buf = conns[0]

    def ask():
        s.sendall(b"GET " + CODE + b"\n")
        return json.loads(readline(s, buf))

    asked = [wall()]
    before = ask()
    while wall() < t0 + 0.2:
        sleep(0.05)
    asked.append(wall())
    during = ask()
    while wall() < t0 + 2.2:
        sleep(0.05)
    asked.append(wall())
    after = ask()
    got = (before["price"], during["price"], during["source"], after["price"])
    want = (100000 + N, 999, "special", 100000 + N)
    print("%s promotion switches on and off at its instants: %s" % ("ok  " if got == want else "FAIL", got))
    if got != want:  # what is needed to tell a late ask from a stale answer
        print("     promotion from %d to %d; asked at %s; answered in %s" % (
            t0, t0 + 2, ", ".join("%.3f" % t for t in asked),
            " | ".join(json.dumps(a) for a in (before, during, after))))
    bad += int(got != want)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
