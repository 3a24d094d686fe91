#!/usr/bin/env python3
"""Turns bench/compare's runs (JSON lines) into one Markdown report: medians
over rounds per server, variant and scenario, the ratios pricelaned/Redis,
pricelaned/memcached and pricelaned/echo, and the issue's targets met or
missed."""
import argparse
import datetime
import json
import statistics
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    for opt in ("machine", "versions", "command", "items", "keys", "rounds", "duration", "warmup",
                "dist", "import-s", "answer-bytes", "cache-mb", "memo-mb", "fill", "client-cpu", "server-cpu", "load",
                "monitor"):
        ap.add_argument("--" + opt, default="?")
    a = ap.parse_args()

    runs, churners = {}, {}
    for line in open(a.results):
        d = json.loads(line)
        key = (d["server"], d["variant"], d["scenario"])
        if "run" in d:
            runs.setdefault(key, []).append(d["run"])
        elif d.get("churner"):
            churners.setdefault(key, []).append(d["churner"])

    def med(key, field):
        rs = runs.get(key)
        if not rs:
            return None
        if field in ("p50", "p90", "p99", "p99_9", "max"):
            return statistics.median(r["latency_us"][field] for r in rs)
        return statistics.median(r[field] for r in rs)

    order = ["tcp-50x1", "tcp-50x16", "udp-8x32", "open-50%", "open-redis-rate"]
    order += sorted({k[2] for k in runs if k[2].startswith("churn-")},
                    key=lambda s: float(s[6:-2]))
    srv_order = ["pricelaned", "redis", "memcached", "echo"]
    keys = sorted(runs, key=lambda k: (order.index(k[2]) if k[2] in order else 99,
                                       srv_order.index(k[0]) if k[0] in srv_order else 99, k[1]))
    out = []
    w = out.append
    w("## %s — %s" % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                      a.machine))
    w("")
    w("- command: `%s`" % a.command)
    w("- versions: %s" % a.versions)
    w("- catalogue: %s items, %s codes, imported in %s s; mean answer %s bytes; keys %s%s" %
      (a.items, a.keys, a.import_s, a.answer_bytes, a.dist, " (s=0.99)" if a.dist == "zipf" else ""))
    w("- %s round(s), %s s measured after %s s warm-up per run, servers alternating; medians over "
      "rounds. Client pinned to CPU %s (1 thread), each server to CPU %s (1 worker thread); "
      "pricelaned cache variants: shared cache %s MiB (filled before the rounds) and memo %s "
      "MiB (filled by %s s of uniform lookups after each start, not measured); nocache "
      "variants: neither." % (a.rounds, a.duration, a.warmup, a.client_cpu, a.server_cpu,
                              a.cache_mb, a.memo_mb, a.fill))
    w("- load average (1/5/15 min) %s: other work on the machine shares the two cores and "
      "lowers every number alike." % a.load)
    w("- the kernel's memory access monitor (DAMON) %s: while it samples, every server's tail "
      "at a steady rate is milliseconds longer (bench/RESULTS.md, \"The tail at half load\")."
      % a.monitor)
    w("")
    w("| scenario | server | variant / protocol | answers/s | p50 µs | p99 µs | p99.9 µs | errors | lost |")
    w("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for k in keys:
        rs = runs[k]
        proto = rs[0]["proto"]
        rate = " @%d/s" % rs[0]["rate"] if rs[0]["mode"] == "open" else ""
        # Redis at its half rate is both its "50 %" and the same-rate row
        if k[0] == "redis" and k[2] == "open-redis-rate":
            rate += " (= Redis 50 %)"
        w("| %s%s | %s | %s (%s) | %.0f | %.1f | %.1f | %.1f | %d | %d |" %
          (k[2], rate, k[0], k[1], proto, med(k, "throughput"), med(k, "p50"), med(k, "p99"),
           med(k, "p99_9"), sum(r["errors"] for r in rs), sum(r["lost"] for r in rs)))
    w("")

    def ratio(x, y):
        return "%.2f" % (x / y) if x is not None and y else "–"

    pl = ("pricelaned", "uring+cache")
    plr = ("pricelaned", "uring+cache/resp")
    rd = ("redis", "resp")
    mc = ("memcached", "text")
    ec = ("echo", "line")
    ecr = ("echo", "resp")
    w("Ratios of median throughput (pricelaned: io_uring engine, cache and memo on, line protocol unless "
      "said otherwise):")
    w("")
    w("| scenario | pricelaned/Redis | pricelaned RESP/Redis | pricelaned/memcached | "
      "pricelaned/echo | pricelaned RESP/echo RESP |")
    w("|---|---:|---:|---:|---:|---:|")
    for sc in ("tcp-50x1", "tcp-50x16", "udp-8x32"):
        t = lambda s: med(s + (sc,), "throughput")
        w("| %s | %s | %s | %s | %s | %s |" % (sc, ratio(t(pl), t(rd)), ratio(t(plr), t(rd)),
                                               ratio(t(pl), t(mc)), ratio(t(pl), t(ec)),
                                               ratio(t(plr), t(ecr))))
    w("")
    w("Speed targets:")
    w("")

    def target(name, val, goal, fmt="%.2f"):
        if val is None:
            w("- %s: not measured" % name)
        else:
            w("- %s: %s — %s" % (name, fmt % val, "met" if val >= goal else "**missed**"))

    def r(x, y):
        return x / y if x is not None and y else None

    t = lambda s, sc: med(s + (sc,), "throughput")
    target("TCP 50×16 ≥ 2× Redis (line)", r(t(pl, "tcp-50x16"), t(rd, "tcp-50x16")), 2)
    target("TCP 50×16 ≥ 2× Redis (RESP)", r(t(plr, "tcp-50x16"), t(rd, "tcp-50x16")), 2)
    target("TCP 50×1 ≥ 1× Redis (line)", r(t(pl, "tcp-50x1"), t(rd, "tcp-50x1")), 1)
    target("TCP 50×1 ≥ 90% of echo", r(t(pl, "tcp-50x1"), t(ec, "tcp-50x1")), 0.9)
    target("UDP 8×32 ≥ 1.5× memcached UDP", r(t(pl, "udp-8x32"), t(mc, "udp-8x32")), 1.5)
    target("UDP 8×32 ≥ 85% of echo", r(t(pl, "udp-8x32"), t(ec, "udp-8x32")), 0.85)
    p_pl = med(pl + ("open-redis-rate",), "p99")
    p_rd = med(rd + ("open-redis-rate",), "p99")
    if p_pl is not None and p_rd:
        w("- open loop at Redis's half rate, p99 no worse than Redis: pricelaned %.1f µs, Redis "
          "%.1f µs — %s" % (p_pl, p_rd, "met" if p_pl <= p_rd else "**missed**"))
    else:
        w("- open loop p99 vs Redis: not measured")
    churn_report(w, runs, churners, med, target)
    print("\n".join(out))


def churn_report(w, runs, churners, med, target):
    """The churn scenario: each server's TCP 50x16 while batches are applied,
    against its own run with no batches (churn-0/s) of the same round."""
    rates = sorted({k[2] for k in runs if k[2].startswith("churn-") and k[2] != "churn-0/s"},
                   key=lambda s: float(s[6:-2]))
    if not rates:
        return
    w("")
    w("Churn (TCP 50×16 while batches of price rows are applied; ratios to the same server with "
      "no batches; Redis and memcached receive the changed answers as SETs):")
    w("")
    w("| server | variant | batches/s (achieved) | answers/s | × quiet | p99 µs | × quiet p99 | "
      "apply ms (median) | apply CPU ms a batch |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    goals = []
    for srv, var in sorted({(k[0], k[1]) for k in runs if k[2] == "churn-0/s"}):
        q_t = med((srv, var, "churn-0/s"), "throughput")
        q_p = med((srv, var, "churn-0/s"), "p99")
        w("| %s | %s | 0 | %.0f | 1 | %.1f | 1 | – | – |" % (srv, var, q_t, q_p))
        for sc in rates:
            t, p = med((srv, var, sc), "throughput"), med((srv, var, sc), "p99")
            if t is None:
                continue
            ch = churners.get((srv, var, sc), [])
            ach = statistics.median(c["achieved_rate"] for c in ch) if ch else None
            am = [c["apply_ms_median"] for c in ch if c.get("apply_ms_median") is not None]
            ac = [c["apply_cpu_ms_per_batch"] for c in ch if c.get("apply_cpu_ms_per_batch") is not None]
            w("| %s | %s | %s (%s) | %.0f | %.2f | %.1f | %.2f | %s | %s |" %
              (srv, var, sc[6:-2], "%.1f" % ach if ach is not None else "?", t, t / q_t if q_t else 0,
               p, p / q_p if q_p else 0, "%.0f" % statistics.median(am) if am else "–",
               "%.0f" % statistics.median(ac) if ac else "–"))
            if srv == "pricelaned":
                goals.append((var, sc[6:-2], t / q_t if q_t else None, p / q_p if q_p else None))
    w("")
    for var, rate, tr, pr in goals:
        target("%s under %s batches/s: throughput ≥ 0.9× quiet" % (var, rate), tr, 0.9)
        if pr is not None:
            w("- %s under %s batches/s: p99 ≤ 1.5× quiet: %.2f — %s" %
              (var, rate, pr, "met" if pr <= 1.5 else "**missed**"))


if __name__ == "__main__":
    sys.exit(main())
