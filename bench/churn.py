#!/usr/bin/env python3
"""bench/churn.py: price changes while a benchmark runs.

Every 1/RATE seconds, a batch of ROWS price rows for ROWS random items is
dropped into the inbox of one `pricelane-load watch` (started here, running
for the whole scenario, as a store applies the batches it receives), and
its apply time is the time until the watcher moved it to done/ (a pricelaned
on the catalogue sees it the moment it commits). With --redis or
--memcached, the changed answers are then also stored there by one
`pricelane-bench kv-load --keys -` process that receives each batch's codes,
so a key-value store under the same churn pays for its updates as
pricelaned does. --per-batch starts `pricelane-load apply` (and kv-load) once
for each batch instead: a process start and a cold map a batch. Runs until
SIGTERM or --duration, then prints one JSON object: batches applied, late
starts, and the apply times. The first batch waits for the watcher to have
started (it maps the catalogue first: once per boot in a store), and its
start's CPU is not counted; --ready FILE is created then, so that a
measurement can wait for it.

usage: churn.py --load BIN --bench BIN --db DIR --items FILE --rate R
                [--rows N] [--duration S] [--redis H:P | --memcached H:P]
                [--per-batch] [--ready FILE]

FILE: one "sku<TAB>code" line per item (bench/compare writes it from the
generated catalogue)."""
import argparse
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

stop = False


class Items:
    """The item file, read where a random draw lands: loading a million
    lines would cost seconds of the server's CPU just as the measurement
    starts."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.size = os.fstat(self.f.fileno()).st_size

    def _line(self, off):
        """The first whole "sku<TAB>code" line after byte off (wrapping)."""
        self.f.seek(off)
        if off:
            self.f.readline()
        line = self.f.readline() or (self.f.seek(0) or self.f.readline())
        return line.decode().rstrip("\n").split("\t")

    def count(self, most):
        """Items in the file, counted up to most."""
        self.f.seek(0)
        n = 0
        for line in self.f:
            n += b"\t" in line
            if n >= most:
                break
        return n

    def sample(self, rnd, n):
        """n items with distinct SKUs, drawn at random offsets."""
        chosen = {}
        while len(chosen) < n:
            item = self._line(rnd.randrange(self.size))
            if len(item) == 2:
                chosen[item[0]] = item
        return list(chosen.values())


def children_cpu():
    """User and system CPU seconds of the child processes waited for."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def proc_cpu(pid):
    """User and system CPU seconds of a running process (Linux /proc)."""
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


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
    ap.add_argument("--per-batch", action="store_true")
    ap.add_argument("--ready")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    items = Items(a.items)
    if items.count(a.rows) < a.rows:
        sys.exit("churn.py: fewer than --rows %d items in %s" % (a.rows, a.items))
    rnd = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="pricelane-churn.")
    batch_path, keys_path = os.path.join(work, "batch.csv"), os.path.join(work, "keys.txt")
    run = os.urandom(4).hex()  # batch ids of their own in every run: a batch id seen before is not applied again
    period = 1.0 / a.rate
    inbox = os.path.join(work, "inbox")
    os.mkdir(inbox)
    kv = (["--redis", a.redis] if a.redis else ["--memcached", a.memcached]
          if a.memcached else None)
    watcher = feeder = None
    if not a.per_batch:
        watcher = subprocess.Popen([a.load, "watch", "--db", a.db, "--settle", "0", inbox],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if kv:
            feeder = subprocess.Popen([a.bench, "kv-load", "--db", a.db, "--keys", "-"] + kv,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL)
    # The watcher's start (mapping the catalogue, holding its page cache in
    # base pages) is once per boot in a store: wait for it, and count the
    # CPU of the batches only.
    start_cpu = 0.0
    if watcher:
        while True:
            line = watcher.stdout.readline().decode(errors="replace")
            if not line:
                sys.exit("churn.py: the watcher exited: " + watcher.stderr.read().decode(errors="replace")[:300])
            if line.startswith("watching "):
                break
        start_cpu = proc_cpu(watcher.pid)
    if a.ready:
        open(a.ready, "w").close()
    apply_cpu = 0.0
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
        chosen = items.sample(rnd, a.rows)
        n += 1
        name = "churn-%s-%06d.csv" % (run, n)
        with open(batch_path, "w") as f:
            f.write("op,batch,sku,price\n")
            for sku, _ in chosen:
                f.write("price,churn-%s-%d,%s,%d.%02d\n" % (run, n, sku, rnd.randint(1, 99), rnd.randint(0, 99)))
        t = time.monotonic()
        if a.per_batch:
            c = children_cpu()
            r = subprocess.run([a.load, "apply", "--db", a.db, batch_path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            apply_cpu += children_cpu() - c
            ok, err = r.returncode == 0, r.stderr.decode(errors="replace")
        else:
            # The watcher prints one line per file once its batch committed
            # (or was refused): read it, nothing is polled.
            os.rename(batch_path, os.path.join(inbox, name))
            ok, err = None, ""
            while ok is None:
                line = watcher.stdout.readline().decode(errors="replace")
                if not line:
                    ok, err = False, "the watcher exited: " + watcher.stderr.read().decode(errors="replace")
                elif line.startswith(name + ":"):
                    ok, err = " applied batch " in line, line.strip()
            if ok is None:
                break
        apply_ms.append((time.monotonic() - t) * 1000)
        if not ok:
            failed += 1
            sys.stderr.write("churn.py: apply failed: %s\n" % err[:300])
            if not a.per_batch and watcher.poll() is not None:
                break
            continue
        if kv and a.per_batch:
            with open(keys_path, "w") as f:
                f.write("".join(code + "\n" for _, code in chosen))
            subprocess.run([a.bench, "kv-load", "--db", a.db, "--keys", keys_path] + kv,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif kv:
            feeder.stdin.write(("".join(code + "\n" for _, code in chosen) + "\n").encode())
            feeder.stdin.flush()
            if not feeder.stdout.readline():
                sys.stderr.write("churn.py: kv-load exited\n")
                break
    # CPU time spent applying batches: the watcher's own (it did nothing
    # else), or every apply process's (per batch).
    if watcher:
        apply_cpu = proc_cpu(watcher.pid)
        if apply_cpu is not None:  # (None: the watcher died and was reaped)
            apply_cpu -= start_cpu
    for p in (watcher, feeder):
        if p and p.poll() is None:
            if p is feeder:
                p.stdin.close()
            else:
                p.terminate()
            p.wait()
    elapsed = time.monotonic() - t0
    q = sorted(apply_ms)
    print(json.dumps({
        "batches": n, "failed": failed, "late": late, "rows": a.rows, "rate": a.rate,
        "seconds": round(elapsed, 2), "achieved_rate": round(n / elapsed, 2) if elapsed else 0,
        "apply_ms_median": round(statistics.median(q), 1) if q else None,
        "apply_ms_p99": round(q[min(len(q) - 1, int(len(q) * 0.99))], 1) if q else None,
        "apply_cpu_ms_per_batch": round(apply_cpu * 1000 / n, 1) if n and apply_cpu is not None else None,
    }))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
