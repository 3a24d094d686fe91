#!/usr/bin/env bash
# io_uring unavailable: pricelaned runs under a seccomp filter that refuses
# io_uring_setup (and _enter, _register) with EPERM, as container profiles
# and kernel.io_uring_disabled do (tests/fault/no_uring.c: prctl + a
# classic BPF program, no libseccomp). With --engine auto it says io_uring
# is not usable, serves on libuv (engine=uv on the ready line and in
# /stats) and answers like the offline lookup.
#
# Then the server's own end-to-end suites run again with every pricelaned
# they start under the filter and with --engine auto in place of their
# --engine uv (PL_WRAP="no_uring --engine-auto", PL_ENGINES=uv): each server
# reaches libuv through the fallback, and every check the suites make of
# the libuv engine must hold. The launches are counted: each one was a
# fallback.
source "$(dirname "$0")/lib/fault.bash"
NOURING="$BIN/no_uring"
rc=0
"$NOURING" /bin/true || rc=$?
if [ $rc != 0 ]; then
    echo "skip: cannot install a seccomp filter here (exit $rc)"
    exit 77
fi
make_catalogue

# ---- the fallback itself --------------------------------------------------
PL_WRAP="$NOURING"
rc=0; start_server auto auto || rc=$?
[ $rc = 0 ] || exit 1
check_match "auto under the filter: io_uring refused, libuv used" "$(cat "$T/auto.err")" \
    "io_uring not usable \(Operation not permitted\): using the libuv engine"
check_eq "/stats engine" "$(field "$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/stats")" engine)" uv
want=$("$BIN/pricelane" lookup --db "$T/db" 6901234567892 6920000000012 036000291452 || true)
check_eq "answers over TCP like the offline lookup" \
    "$(printf '6901234567892\n6920000000012\n036000291452\n' | plnet tcp "$PORT" --lines 3)" "$want"
check_eq "and over UDP" "$(plnet udp "$PORT" 6901234567892 6920000000012 036000291452)" "$want"
stop_server auto "$SPID"
check_eq "exit status" "$STOP_RC" 0
PL_WRAP=

# ---- the server's end-to-end suites, every server through the fallback ----
SUITES=${PL_NO_URING_SUITES:-server_basic server_malformed server_slow_clients server_cache_safety server_config_signals server_freshness}
for s in $SUITES; do
    script="$SRC/tests/e2e/$s.sh"
    [ -f "$script" ] || { bad "$s: no such suite"; continue; }
    rm -f "$T/launches"
    rc=0
    PL_WRAP="$NOURING --engine-auto" NO_URING_LOG="$T/launches" PL_ENGINES=uv \
        PL_FRESH_BATCHES=50 timeout 280 bash "$script" >"$T/$s.out" 2>&1 || rc=$?
    started=$(grep -c '^     started .* engine=uv ' "$T/$s.out" || true)
    others=$(grep '^     started ' "$T/$s.out" | grep -vc ' engine=uv ' || true)
    launched=$(grep -c -- '--engine auto' "$T/launches" 2>/dev/null || true)
    if [ "$rc" = 0 ] && [ "$started" -gt 0 ] && [ "$others" = 0 ] && [ "$launched" -ge "$started" ]; then
        ok "$s under the filter: $(tail -1 "$T/$s.out"); $started servers started with --engine auto, all on libuv"
    else
        bad "$s under the filter: exit $rc, $started servers on uv, $others on another engine, $launched launches:"
        grep -E '^FAIL|^skip' "$T/$s.out" | head -10 | sed 's/^/       /'
        tail -3 "$T/$s.out" | sed 's/^/       /'
    fi
done
finish
