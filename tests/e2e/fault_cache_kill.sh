#!/usr/bin/env bash
# pricelaned killed with SIGKILL under load (TCP and UDP lookups in flight,
# cache puts among them), three times in a row, restarted each time on the
# same shared-memory segment. After each restart the very first answers
# equal those of a cache-off server (--cache-mb 0) on the same catalogue,
# byte for byte over a few hundred requests, and they come from the
# surviving segment: cache hits at once, no re-initialization, the same
# segment file. The load generator's own checks of the answers it got
# before each kill find no wrong one. Both engines. The workers' memos are
# off here so that every lookup goes through the segment under test.
source "$(dirname "$0")/lib/fault.bash"
gen_catalogue
make_requests 300
ROUNDS=${PL_KILL_ROUNDS:-3}
LOAD_SECONDS=${PL_KILL_LOAD_SECONDS:-8}
CACHE=$T/cache

load_pids=()
start_load() { # PORT: TCP and UDP lookups at a modest open-loop rate, answers checked
    timeout 120 "$BENCH" run --server "127.0.0.1:$1" --proto tcp --keys "$T/keys" --conns 4 \
        --rate 1500 --duration "$LOAD_SECONDS" --warmup 0 --json >"$T/load-tcp.json" 2>"$T/load-tcp.err" &
    load_pids=($!)
    timeout 120 "$BENCH" run --server "127.0.0.1:$1" --proto udp --keys "$T/keys" --conns 2 \
        --rate 500 --duration "$LOAD_SECONDS" --warmup 0 --json >"$T/load-udp.json" 2>"$T/load-udp.err" &
    load_pids+=($!)
    PL_PIDS+=("${load_pids[@]}")
}
# The load generators run to their end (the server is gone by then); the
# answers they did get must all be right: only connection errors, from the
# kill. wait_load (in this shell: they are its children), then
# wrong_answers prints "W wrong of A".
wait_load() {
    local p
    for p in "${load_pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
wrong_answers() {
    python3 -c '
import json, sys
wrong, answered = 0, 0
for f in sys.argv[1:]:
    try:
        r = json.load(open(f))
    except ValueError:
        print("no report in", f)
        sys.exit(0)
    answered += r["answered"]
    wrong += sum(v for k, v in r["errors_by_kind"].items() if k != "connection")
print("%d wrong of %d" % (wrong, answered))' "$T/load-tcp.json" "$T/load-udp.json"
}

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server ref "$ENGINE" --cache-mb 0 --memo-mb 0 --cache-path "$T/unused" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    REF=$PORT; REFPID=$SPID
    n_ok=$(plnet tcp "$REF" --lines "$NREQ" <"$T/reqs" | grep -c '"status":"ok"' || true)
    check_eq "$ENGINE reference: most requests name a priced item" \
        "$([ "$n_ok" -ge 200 ] && echo yes || echo "$n_ok ok")" yes

    rm -f "$CACHE"
    rc=0; start_server live "$ENGINE" --cache-mb 16 --memo-mb 0 --cache-path "$CACHE" || rc=$?
    [ $rc = 0 ] || exit 1
    same_as_reference "$ENGINE cold cache" "$PORT" "$REF"
    inode=$(stat -c %i "$CACHE")

    for round in $(seq "$ROUNDS"); do
        start_load "$PORT"
        # Under load: wait until the load has gone through the cache.
        base=$(metric "$ADMIN" pricelane_cache_hits_total)
        r=yes; wait_metric_at_least "$ADMIN" pricelane_cache_hits_total $((base + 1000)) 30 || r=no
        check_eq "$ENGINE round $round: server under load (1000 more cache hits)" "$r" yes
        kill -KILL "$SPID"
        wait "$SPID" 2>/dev/null || true
        wait_load
        w=$(wrong_answers)
        check_match "$ENGINE round $round: load before the kill: $w" "$w" "^0 wrong of [1-9]"

        rc=0; start_server "live$round" "$ENGINE" --cache-mb 16 --memo-mb 0 --cache-path "$CACHE" || rc=$?
        [ $rc = 0 ] || exit 1
        same_as_reference "$ENGINE round $round: at once after SIGKILL and restart" "$PORT" "$REF"
        check_eq "$ENGINE round $round: the segment was reused, not re-initialized" \
            "$(metric "$ADMIN" pricelane_cache_reinits_total) $(stat -c %i "$CACHE")" "0 $inode"
        hits=$(cache_hits "$ADMIN")
        check_eq "$ENGINE round $round: answers came from the surviving entries (cache hits)" \
            "$([ "$hits" -ge 100 ] && echo yes || echo "$hits hits")" yes
    done
    stop_server "live$ROUNDS" "$SPID"
    check_eq "$ENGINE exit status after the last restart" "$STOP_RC" 0
    stop_server ref "$REFPID"
    check_eq "$ENGINE reference server exit status" "$STOP_RC" 0
done
finish
