#!/usr/bin/env bash
# Configuration and signals: --help, the generated sample file (and that it
# loads), precise errors with exit 2 for bad flags and file lines, SIGHUP
# reloading the allowlist (and rejecting a bad file), SIGTERM draining a
# pipelined burst and exiting 0, SIGINT likewise. Both engines.
source "$(dirname "$0")/lib/common.bash"
make_catalogue
D="$BIN/pricelaned"

# ---- configuration (engine-independent) ----
"$D" --help >"$T/help"
check_eq "--help exits 0, man-page sections" "$(grep -c -E '^(NAME|SYNOPSIS|OPTIONS|SIGNALS|EXIT STATUS)$' "$T/help")" 5
check_eq "--help lists every setting" "$(grep -c -E '^    --(db|listen|admin|threads|engine|cache-mb|allow|udp-rate|idle-timeout) ' "$T/help")" 9
"$D" --sample-config >"$T/sample.conf"
if cmp -s "$T/sample.conf" "$SRC/ops/pricelaned.conf"; then ok "ops/pricelaned.conf is the generated sample"
else bad "ops/pricelaned.conf differs from pricelaned --sample-config (regenerate it)"; fi

usage() { # expected message, args...
    local want=$1 rc=0
    shift
    "$D" "$@" >/dev/null 2>"$T/err" || rc=$?
    check_eq "exit 2 and one line for: $*" "$rc|$(cat "$T/err")" "2|pricelaned: $want"
}
usage '--threads: "abc" is not a whole number' --db "$T/db" --threads abc
usage '--threads: 999 is out of range 0..256' --db "$T/db" --threads=999
usage '--engine: "epoll" is not one of auto|uring|uv' --db "$T/db" --engine epoll
usage '--listen: "localhost:7070": host is not a numeric IPv4 or IPv6 address' --db "$T/db" --listen localhost:7070
usage '--allow: allowlist entry "10.1.2.3/8": host bits set below the prefix' --db "$T/db" --allow 10.1.2.3/8
usage '--colour: unknown option (see pricelaned --help)' --db "$T/db" --colour=red
usage '--db: is required (flag or config file key)'
printf '[pricelaned]\nthreads = 2\n\nudp_rate = -5\n' >"$T/bad1.conf"
usage "$T/bad1.conf:4: udp_rate: -5 is out of range 0..10000000" --config "$T/bad1.conf" --db "$T/db"
printf 'colour = red\n' >"$T/bad2.conf"
usage "$T/bad2.conf:1: colour: unknown key (see pricelaned --help)" --config "$T/bad2.conf" --db "$T/db"
printf '[server]\nthreads = 1\n' >"$T/bad3.conf"
usage "$T/bad3.conf:2: threads: in unknown section [server] (keys go at the top or in [pricelaned])" --config "$T/bad3.conf"
usage "$T/nope.conf: cannot read: No such file or directory" --config "$T/nope.conf"

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    # The sample file loads (flags override its listen/admin/db).
    rc=0; start_server sample "$ENGINE" --config "$T/sample.conf" --db "$T/db" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    check_eq "$ENGINE sample config serves" "$(plnet udp "$PORT" PING)" PONG
    stop_server sample "$SPID"

    # SIGHUP: the allowlist changes under a running server.
    printf 'allow = 127.0.0.0/8\nidle_timeout = 30\n' >"$T/live.conf"
    rc=0; start_server hup "$ENGINE" --config "$T/live.conf" || rc=$?
    [ $rc = 0 ] || exit 1
    check_eq "$ENGINE allowed client served" "$(plnet --timeout 1 udp "$PORT" PING)" PONG
    check_eq "$ENGINE no default store: base price" "$(field "$(plnet udp "$PORT" 'GET 6920000000012')" price)" 6500
    printf 'allow = 10.0.0.0/8\ncache_mb = 4\n' >"$T/live.conf"
    kill -HUP "$SPID"
    wait_until 10 grep -q "reloaded" "$T/hup.err" || true
    check_eq "$ENGINE SIGHUP: allowlist reloaded, UDP from 127.0.0.1 dropped" "$(plnet --timeout 1 udp "$PORT" PING)" "<none>"
    check_eq "$ENGINE SIGHUP: TCP from 127.0.0.1 closed" "$(printf 'PING\n' | plnet tcp "$PORT" --close-check)" "<closed>"
    check_eq "$ENGINE denied datagram counted" "$(metric "$ADMIN" 'pricelane_udp_dropped_total{reason="denied"}')" 1
    check_eq "$ENGINE SIGHUP: a setting needing a restart is reported" \
        "$(grep -c 'cache_mb changed, needs a restart' "$T/hup.err")" 1
    printf 'allow = 127.0.0.0/8\nudp_rate = lots\n' >"$T/live.conf"
    kill -HUP "$SPID"
    wait_until 10 grep -q "reload rejected" "$T/hup.err" || true
    check_eq "$ENGINE SIGHUP with a bad file: rejected with the line" \
        "$(grep -o 'reload rejected.*' "$T/hup.err")" \
        "reload rejected, running settings kept: $T/live.conf:2: udp_rate: \"lots\" is not a whole number"
    check_eq "$ENGINE ... and the running allowlist kept" "$(plnet --timeout 1 udp "$PORT" PING)" "<none>"
    printf 'allow = 127.0.0.1/32, ::1\nstore = S1\n' >"$T/live.conf"
    kill -HUP "$SPID"
    wait_until 10 bash -c "[ \$(grep -c reloaded '$T/hup.err') -ge 2 ]" || true
    check_eq "$ENGINE SIGHUP: allowed again" "$(plnet --timeout 2 udp "$PORT" PING)" PONG
    check_eq "$ENGINE SIGHUP: new default store (zone price)" \
        "$(field "$(plnet udp "$PORT" 'GET 6920000000012')" price)" 6200

    # SIGTERM with a burst in flight: whatever was received is answered, in
    # order, with whole lines; the server exits 0.
    got=$(timeout 60 python3 - "$PORT" "$SPID" <<'PY'
import json, os, signal, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
n = 20000
s.sendall(b"".join(b"GET 6901234567892\n" for _ in range(n)))
buf = b""
while b"\n" not in buf:
    buf += s.recv(65536)
os.kill(int(sys.argv[2]), signal.SIGTERM)
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
except ConnectionResetError:
    pass
lines = buf.split(b"\n")
whole = lines[-1] == b"" and all(json.loads(l)["status"] == "ok" for l in lines[:-1])
print("answered" if len(lines) > 1 and whole else "broken")
PY
)
    check_eq "$ENGINE SIGTERM mid-burst: received requests answered with whole lines" "$got" answered
    stop_server hup "$SPID"
    check_eq "$ENGINE SIGTERM mid-burst: exit status" "$STOP_RC" 0

    rc=0; start_server int "$ENGINE" || rc=$?
    [ $rc = 0 ] || exit 1
    # Only the control loop's thread takes SIGTERM and SIGINT: it blocks
    # them for its teardown, and any other thread that took one then would
    # end the process by the default action (exit 143, not 0).
    takers=0
    for st in /proc/"$SPID"/task/*/status; do
        # a thread that ended since the listing (the cache's mapper, once
        # done) takes nothing
        mask=$(awk '/^SigBlk:/ { print $2 }' "$st" 2>/dev/null) || continue
        [ -n "$mask" ] || continue
        (( (0x$mask & 0x4002) == 0x4002 )) || takers=$((takers + 1))
    done
    check_eq "$ENGINE: threads that take SIGTERM or SIGINT" "$takers" 1
    kill -INT "$SPID"
    stop_server int "$SPID"
    check_eq "$ENGINE SIGINT: exit status" "$STOP_RC" 0
done
finish
