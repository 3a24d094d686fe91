#!/usr/bin/env python3
"""bench/churn.py: price changes while a benchmark runs.

Every 1/RATE seconds, a batch of ROWS price rows for ROWS random items is
applied to the catalogue with `pricelane-load apply` (a pricelaned on the
catalogue sees it the moment it commits). With --redis or --memcached, the
changed answers are also stored there (`pricelane-bench kv-load` of the
changed codes), so a key-value store under the same churn pays for its
updates as pricelaned does. Runs until SIGTERM or --duration, then prints
one JSON object: batches applied, late starts, and the apply times.

usage: churn.py --load BIN --bench BIN --db DIR --items FILE --rate R
                [--rows N] [--duration S] [--redis H:P | --memcached H:P]

FILE: one "sku<TAB>code" line per item (bench/compare writes it from the
generated catalogue)."""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time

stop = False


def on_term(*_):
    global stop
    stop = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--load", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--items", required=True)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("--redis")
    ap.add_argument("--memcached")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    items = [l.rstrip("\n").split("\t") for l in open(a.items) if "\t" in l]
    if len(items) < a.rows:
        sys.exit("churn.py: %d items in %s, fewer than --rows %d" % (len(items), a.items, a.rows))
    rnd = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="pricelane-churn.")
    batch_path, keys_path = os.path.join(work, "batch.csv"), os.path.join(work, "keys.txt")
    run = "%x" % rnd.getrandbits(32)
    period = 1.0 / a.rate
    t0 = time.monotonic()
    due = t0
    apply_ms, late, failed, n = [], 0, 0, 0
    while not stop and (not a.duration or time.monotonic() - t0 < a.duration):
        now = time.monotonic()
        if now < due:
            time.sleep(min(due - now, 0.05))
            continue
        if now - due > period:
            late += 1  # the previous batch took longer than the period
            due = now
        due += period
        chosen = rnd.sample(items, a.rows)
        n += 1
        with open(batch_path, "w") as f:
            f.write("op,batch,sku,price\n")
            for sku, _ in chosen:
                f.write("price,churn-%s-%d,%s,%d.%02d\n" % (run, n, sku, rnd.randint(1, 99), rnd.randint(0, 99)))
        t = time.monotonic()
        r = subprocess.run([a.load, "apply", "--db", a.db, batch_path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        apply_ms.append((time.monotonic() - t) * 1000)
        if r.returncode != 0:
            failed += 1
            sys.stderr.write("churn.py: apply failed: %s\n" % r.stderr.decode(errors="replace")[:300])
            continue
        if a.redis or a.memcached:
            with open(keys_path, "w") as f:
                f.write("".join(code + "\n" for _, code in chosen))
            kv = ["--redis", a.redis] if a.redis else ["--memcached", a.memcached]
            subprocess.run([a.bench, "kv-load", "--db", a.db, "--keys", keys_path] + kv,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.monotonic() - t0
    q = sorted(apply_ms)
    print(json.dumps({
        "batches": n, "failed": failed, "late": late, "rows": a.rows, "rate": a.rate,
        "seconds": round(elapsed, 2), "achieved_rate": round(n / elapsed, 2) if elapsed else 0,
        "apply_ms_median": round(statistics.median(q), 1) if q else None,
        "apply_ms_p99": round(q[min(len(q) - 1, int(len(q) * 0.99))], 1) if q else None,
    }))
    for p in (batch_path, keys_path):
        if os.path.exists(p):
            os.unlink(p)
    os.rmdir(work)


if __name__ == "__main__":
    main()
