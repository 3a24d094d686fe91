#!/usr/bin/env python3
"""Freshness check for the end-to-end tests.

Opens TCP connections and UDP sockets until every worker of the server holds
at least one of each (told apart by the per-worker counters of /stats), then
applies N change batches with pricelane-load; as soon as the loader has
exited, asks for the changed item on every connection and socket. Any answer
with an older price or generation is stale. Then a promotion whose window
opens three seconds ahead is applied and watched switching on and off at its
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

    # A promotion three seconds ahead, two seconds long: it switches by the
    # clock. Each ask is bracketed by the client's clock before it is sent and
    # after its answer is read; an ask counts only when that whole interval
    # lies on one side of an instant, so a stalled client (a slow fork of
    # `date` under the faked clock, a busy machine) can make a round
    # inconclusive but never wrong. An inconclusive round is run again with a
    # new promotion, at most three times.
    s, buf = conns[0]

    def ask():
        t_ask = wall()
        s.sendall(b"GET " + CODE + b"\n")
        a = json.loads(readline(s, buf))
        return t_ask, wall(), a

    def wait_until(t):
        while wall() < t:
            sleep(0.05)

    iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()
    base = 100000 + N
    verdict = None
    for round_ in range(1, 4):
        t0 = int(wall()) + 3
        apply("op,batch,promo,kind,items,price,start,end\npromo,f%s-promo%d,PF%s%d,special,100001,9.99,%s,%s\n"
              % (RUN, round_, RUN, round_, iso(t0), iso(t0 + 2)), "promo%d" % round_)
        before = ask()
        wait_until(t0 + 0.2)
        during = ask()
        wait_until(t0 + 2.2)
        after = ask()
        # (answer, interval of the ask, the price and source it must give)
        checks = [(before, (before[0], before[1]), before[1] < t0, (base, "base")),
                  (during, (during[0], during[1]), t0 <= during[0] and during[1] < t0 + 2, (999, "special")),
                  (after, (after[0], after[1]), after[0] >= t0 + 2, (base, "base"))]
        wrong = [c for c in checks if c[2] and (c[0][2]["price"], c[0][2]["source"]) != c[3]]
        if wrong:
            verdict = False
        elif all(c[2] for c in checks):
            verdict = True
        print("%s promotion round %d (from %d to %d): asked at %s; got %s" % (
            "ok  " if verdict else ("FAIL" if verdict is False else "    "), round_, t0, t0 + 2,
            ", ".join("%.3f-%.3f" % c[1] for c in checks),
            ", ".join("%s/%s" % (c[0][2]["price"], c[0][2]["source"]) for c in checks)))
        if verdict is False:
            for c in wrong:
                print("     answered: %s" % json.dumps(c[0][2]))
        if verdict is not None:
            break
        print("     a client stall put an ask across an instant: the round is run again")
    print("%s promotion switches on and off at its instants" % ("ok  " if verdict else "FAIL"))
    bad += int(verdict is not True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
