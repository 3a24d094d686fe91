#!/usr/bin/env bash
# Slow, silent, vanished and surplus TCP clients: a client that never reads
# its replies is paused (bounded memory) and closed by the idle timeout while
# others are served; a slow reader still gets every reply in order; a
# client that resets mid-request is cleaned up; an idle connection is
# closed; connections over the cap are closed at once. Both engines.
source "$(dirname "$0")/lib/common.bash"
make_catalogue

gauge_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
at_least() { [ "$(metric "$1" "$2")" -ge "$3" ]; }

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server srv "$ENGINE" --idle-timeout 2 --max-output-kb 16 || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1

    # Never reads: sends lookups until the server gives up on it.
    timeout 60 python3 - "$PORT" >"$T/noread" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
req = b"GET 6901234567892\n" * 256
t0, sent = time.time(), 0
try:
    while time.time() - t0 < 30:
        sent += s.send(req)
    print("still open after 30 s")
except (BrokenPipeError, ConnectionResetError):
    print("closed by server")
except socket.timeout:
    print("send blocked 30 s")
PY
    noread=$!
    # While it is stuck, others are answered.
    r=yes; wait_until 10 at_least "$ADMIN" pricelane_tcp_backpressure_total 1 || r=no
    check_eq "$ENGINE non-reading client is paused (back-pressure)" "$r" yes
    check_eq "$ENGINE others served meanwhile" "$(printf 'PING\n' | plnet tcp "$PORT" --lines 1)" PONG
    check_eq "$ENGINE memory bounded: under 256 MiB resident" \
        "$(awk '/VmRSS/ { print ($2 < 262144) ? "yes" : $2 " kB" }' /proc/"$SPID"/status)" yes
    wait "$noread" || true
    check_eq "$ENGINE non-reading client is disconnected" "$(cat "$T/noread")" "closed by server"
    check_eq "$ENGINE ... by the idle timeout" \
        "$(metric "$ADMIN" 'pricelane_tcp_closed_total{reason="idle"}')" 1

    # Slow reader: 3000 pipelined requests, replies read in small sips.
    got=$(timeout 60 python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
n = 3000
s.sendall(b"".join(b"GET %s\n" % (b"6901234567892" if i % 2 else b"036000291452") for i in range(n)))
buf = b""
while buf.count(b"\n") < n:
    d = s.recv(8192)
    if not d:
        break
    buf += d
    time.sleep(0.001)
lines = buf.split(b"\n")[:n]
ok = all((b'"sku":"100001"' in l) == (i % 2 == 1) for i, l in enumerate(lines))
print(len(lines), "in order" if ok else "out of order")
PY
)
    check_eq "$ENGINE slow reader gets every reply in order" "$got" "3000 in order"

    # Vanishes mid-request with a reset; and after sending a request.
    python3 - "$PORT" <<'PY'
import socket, struct, sys
for payload in (b"69012345", b"GET 6901234567892\n" * 50):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(payload)
    s.close()
PY
    wait_until 10 gauge_is "$ADMIN" pricelane_tcp_connections 0 || true
    check_eq "$ENGINE vanished clients cleaned up" "$(metric "$ADMIN" pricelane_tcp_connections)" 0

    # A silent connection is closed after idle_timeout (2 s here).
    got=$(: | plnet --timeout 8 tcp "$PORT" --close-check)
    check_eq "$ENGINE idle connection closed" "$got" "<closed>"
    stop_server srv "$SPID"
    check_eq "$ENGINE exit status" "$STOP_RC" 0

    # Connection cap: one worker, two connections, each in the middle of a
    # request (busy, never evicted); the third is refused.
    rc=0; start_server cap "$ENGINE" --threads 1 --max-connections 2 || rc=$?
    [ $rc = 0 ] || exit 1
    exec {c1}<> "/dev/tcp/127.0.0.1/$PORT"
    exec {c2}<> "/dev/tcp/127.0.0.1/$PORT"
    printf 'PI' >&$c1
    printf 'PI' >&$c2
    wait_until 10 metric_equals "$ADMIN" pricelane_tcp_connections 2 || true
    got=$(printf 'PING\n' | plnet tcp "$PORT" --close-check 2>/dev/null || true)
    check_eq "$ENGINE cap: third connection closed unanswered" "$got" "<closed>"
    check_eq "$ENGINE cap: counted" "$(metric "$ADMIN" 'pricelane_tcp_rejected_total{reason="connection_cap"}')" 1
    printf 'NG\n' >&$c1
    printf 'NG\n' >&$c2
    read -r -t 5 r1 <&$c1 || true
    read -r -t 5 r2 <&$c2 || true
    check_eq "$ENGINE cap: the two connections served" "$r1 $r2" "PONG PONG"
    # Now both are idle: once one has been for a second, a new client
    # evicts the one idle longest and is served (retried until then).
    got=""
    wait_until 10 eval 'got=$(printf "PING\n" | plnet tcp "$PORT" --lines 1 2>/dev/null); [ "$got" = PONG ]' || true
    check_eq "$ENGINE cap: with both idle, a new client evicts one and is served" "$got" PONG
    check_eq "$ENGINE cap: eviction counted" "$(metric "$ADMIN" 'pricelane_tcp_closed_total{reason="evicted"}')" 1
    exec {c1}<&- {c2}<&-

    # Per-source cap: two connections from 127.0.0.1 at most; 127.0.0.2 is
    # another source and is served.
    stop_server cap "$SPID"
    rc=0; start_server cap "$ENGINE" --threads 1 --max-connections-per-source 2 || rc=$?
    [ $rc = 0 ] || exit 1
    exec {c1}<> "/dev/tcp/127.0.0.1/$PORT"
    exec {c2}<> "/dev/tcp/127.0.0.1/$PORT"
    printf 'PING\n' >&$c1
    printf 'PING\n' >&$c2
    read -r -t 5 r1 <&$c1 || true
    read -r -t 5 r2 <&$c2 || true
    check_eq "$ENGINE per source: two connections served" "$r1 $r2" "PONG PONG"
    got=$(printf 'PING\n' | plnet tcp "$PORT" --close-check 2>/dev/null || true)
    check_eq "$ENGINE per source: a third from the same address refused" "$got" "<closed>"
    check_eq "$ENGINE per source: counted" "$(metric "$ADMIN" 'pricelane_tcp_rejected_total{reason="source_cap"}')" 1
    got=$(printf 'PING\n' | plnet tcp "$PORT" --source 127.0.0.2 --lines 1 2>/dev/null || true)
    check_eq "$ENGINE per source: another address is served" "$got" PONG
    exec {c1}<&- {c2}<&-
    stop_server cap "$SPID"
    check_eq "$ENGINE cap server exit status" "$STOP_RC" 0
done
finish
