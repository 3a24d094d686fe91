#!/usr/bin/env bash
# Engine choice: where io_uring is refused (here: a seccomp filter making
# io_uring_setup fail with EPERM, as container profiles do), --engine auto
# serves on libuv and says so; --engine uring refuses to start (exit 1).
# Where io_uring works, auto picks it.
source "$(dirname "$0")/lib/common.bash"
make_catalogue
NOURING="python3 $SRC/tests/e2e/lib/no_uring.py"
if ! $NOURING /bin/true; then
    echo "skip: cannot install a seccomp filter here"
    exit 77
fi

PL_WRAP=$NOURING
rc=0; start_server auto auto || rc=$?
[ $rc = 0 ] || exit 1
check_match "io_uring refused: auto falls back to libuv" "$(cat "$T/auto.err")" \
    "io_uring not usable \(Operation not permitted\): using the libuv engine"
check_eq "/stats names the engine" "$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["engine"])')" uv
want=$("$BIN/pricelane" lookup --db "$T/db" 6901234567892 || true)
check_eq "libuv fallback answers over TCP" "$(printf '6901234567892\n' | plnet tcp "$PORT" --lines 1)" "$want"
check_eq "libuv fallback answers over UDP" "$(plnet udp "$PORT" 6901234567892)" "$want"
stop_server auto "$SPID"
check_eq "exit status" "$STOP_RC" 0

rc=0
$NOURING "$BIN/pricelaned" --db "$T/db" --listen 127.0.0.1:0 --admin off --engine uring \
    >/dev/null 2>"$T/forced.err" || rc=$?
check_eq "--engine uring where it is refused: exit 1 with the reason" "$rc|$(cat "$T/forced.err")" \
    "1|pricelaned: --engine uring: io_uring is not usable here: Operation not permitted"

PL_WRAP=
rc=0; start_server plain auto || rc=$?
[ $rc = 0 ] || exit 1
if grep -q "io_uring not usable" "$T/plain.err"; then
    echo "     (io_uring is not usable on this host: $(cat "$T/plain.err"))"
else
    check_match "io_uring available: auto picks it" "$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/stats")" '"engine":"uring"'
fi
stop_server plain "$SPID"
check_eq "exit status" "$STOP_RC" 0
finish
