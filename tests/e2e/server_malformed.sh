#!/usr/bin/env bash
# Malformed input never crashes or wedges pricelaned: over-long lines, RESP
# framing errors, unknown commands, binary garbage, requests over
# max_request, truncated / oversized / multi-line / empty datagrams. Each
# gets its documented error or is dropped and counted; the server keeps
# answering and exits 0 on SIGTERM. A connection closed by QUIT with more
# requests behind it still delivers every reply before it. Runs on both engines.
source "$(dirname "$0")/lib/common.bash"
make_catalogue

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server srv "$ENGINE" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1

    got=$(head -c 600 /dev/zero | tr '\0' 7 | plnet tcp "$PORT" --close-check)
    check_eq "$ENGINE tcp: line over 512 bytes: error, then closed" "$got" \
        $'{"status":"error","error":"line longer than 512 bytes"}\n<closed>'
    got=$(printf '*x\r\n' | plnet tcp "$PORT" --close-check | tr -d '\r')
    check_eq "$ENGINE resp: bad multibulk length: error, then closed" "$got" \
        $'-ERR protocol error: invalid multibulk length\n<closed>'
    got=$(printf '*2\r\n$3\r\nGET\r\n$999\r\n' | plnet tcp "$PORT" --close-check | tr -d '\r')
    check_eq "$ENGINE resp: bulk over 512 bytes: error, then closed" "$got" \
        $'-ERR protocol error: bulk string longer than 512 bytes\n<closed>'
    got=$(printf '*1\r\n$3\r\nSET\r\n*1\r\n$4\r\nPING\r\n' | plnet tcp "$PORT" --lines 2 | tr -d '\r')
    check_eq "$ENGINE resp: unknown command, connection goes on" "$got" $'-ERR unknown command \'SET\'\n+PONG'
    got=$(printf 'FOO BAR\nGET\nPING\n' | plnet tcp "$PORT" --lines 3)
    check_eq "$ENGINE tcp: unknown command and bad GET answered, then PING" "$(tail -1 <<<"$got")" PONG

    # A RESP request larger than max_request (16 KiB by default) can never
    # be buffered whole: error, then closed.
    got=$(python3 -c 'import sys
k=b"6"*500
sys.stdout.buffer.write(b"*41\r\n$4\r\nMGET\r\n"+b"".join(b"$500\r\n"+k+b"\r\n" for _ in range(40)))' |
        plnet tcp "$PORT" --close-check | tr -d '\r')
    check_eq "$ENGINE resp: request over max_request: error, then closed" "$got" \
        $'-ERR request larger than 16384 bytes\n<closed>'

    # Binary garbage (fixed seed): whatever the replies, the server lives.
    python3 -c 'import random,sys
r=random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(65536)))' >"$T/garbage"
    plnet --timeout 3 tcp "$PORT" --close-check <"$T/garbage" >/dev/null || true
    python3 -c 'import random,sys
r=random.Random(8); sys.stdout.buffer.write(b"\n".join(bytes(r.randrange(1,256) for _ in range(r.randrange(1,80))) for _ in range(2000))+b"\n")' >"$T/garbage2"
    plnet --timeout 3 tcp "$PORT" --close-check <"$T/garbage2" >/dev/null || true
    check_eq "$ENGINE tcp: alive after binary garbage" "$(printf 'PING\n' | plnet tcp "$PORT" --lines 1)" PONG

    # Datagrams.
    got=$(plnet --timeout 1 udp "$PORT" "$(head -c 600 /dev/zero | tr '\0' 7)" 'GET 6901234567892\nPING' \
        '#q1 QUIT' 'PING')
    check_eq "$ENGINE udp: 600-byte datagram, two lines, QUIT, then PING" "$got" \
        $'{"status":"error","error":"line longer than 512 bytes"}\n{"status":"error","error":"one request per datagram"}\n{"tag":"q1","status":"error","error":"QUIT needs a TCP connection"}\nPONG'
    got=$(plnet --timeout 1 udp "$PORT" "$(head -c 3000 /dev/zero | tr '\0' 7)" '' '  ')
    check_eq "$ENGINE udp: oversized, empty and blank datagrams get no reply" "$got" \
        $'<none>\n<none>\n<none>'
    check_eq "$ENGINE udp: oversized datagram counted as truncated" \
        "$(metric "$ADMIN" 'pricelane_udp_dropped_total{reason="truncated"}')" 1
    python3 -c 'import random,socket
r=random.Random(9); s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for _ in range(500): s.sendto(bytes(r.randrange(256) for _ in range(r.randrange(0,1500))),("127.0.0.1",'"$PORT"'))'
    check_eq "$ENGINE udp: alive after 500 garbage datagrams" "$(plnet udp "$PORT" PING)" PONG
    n=$(metric "$ADMIN" 'pricelane_requests_total{proto="tcp",status="bad_request"}')
    check_eq "$ENGINE metrics: bad TCP requests counted" "$([ "$n" -ge 3 ] && echo yes)" yes

    # QUIT with thousands of requests pipelined before and after it, sent at
    # once: every reply before QUIT arrives whole, then OK, then the close,
    # never a reset that would discard replies still in the server's send
    # queue (the server sends FIN, then reads and drops the rest).
    got=$(timeout 60 python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
n = 5000
s.sendall(b"GET 6901234567892\n" * n + b"QUIT\n" + b"GET 6901234567892\n" * n)
buf = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
except ConnectionResetError:
    print("reset after %d bytes" % len(buf))
    sys.exit()
lines = buf.split(b"\n")
ok = sum(1 for l in lines if l.startswith(b'{"status":"ok"'))
print("%d ok, then %s, end %r" % (ok, lines[-2].decode(), lines[-1]))
PY
)
    check_eq "$ENGINE tcp: QUIT behind 5000 pipelined requests: all answered, OK, clean close" \
        "$got" "5000 ok, then OK, end b''"

    stop_server srv "$SPID"
    check_eq "$ENGINE SIGTERM after malformed input: exit status" "$STOP_RC" 0
done
finish
