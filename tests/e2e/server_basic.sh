#!/usr/bin/env bash
# pricelaned answers like the offline lookup: line protocol over TCP (bare
# codes, GET with options, pipelined, split across reads) and UDP (tags),
# RESP via redis-cli, `pricelane lookup --server` over TCP and UDP, the admin
# endpoints, and a clean exit on SIGTERM. Runs on both engines.
source "$(dirname "$0")/lib/common.bash"
make_catalogue

offline() { "$BIN/pricelane" lookup --db "$T/db" "$@" || true; }
CODES=(6901234567892 6920000000012 036000291452 100003 2112345012346 6901234567809 6901234567893)

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server srv "$ENGINE" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1

    # Line protocol over TCP: one connection, every code, same bytes as offline.
    want=$(offline "${CODES[@]}")
    got=$(printf '%s\n' "${CODES[@]}" | plnet tcp "$PORT" --lines ${#CODES[@]})
    check_eq "$ENGINE tcp: bare codes answer like the offline lookup" "$got" "$want"
    want=$(offline --store S1 --member 6920000000012)
    got=$(printf 'GET 6920000000012 store=S1 member\r\n' | plnet tcp "$PORT" --lines 1)
    check_eq "$ENGINE tcp: GET with store and member" "$got" "$want"
    check_eq "$ENGINE tcp: member price in the zone" "$(field "$got" price)" 5580

    # Pipelined requests come back in order; a request split over many reads
    # is answered once it is complete.
    got=$(printf 'PING\n6901234567809\nVERSION\nGET 6920000000012 store=S3\nQUIT\n' |
        plnet tcp "$PORT" --close-check)
    lines=$(sed -n '1p;3p' <<<"$got" | tr '\n' '|')
    check_eq "$ENGINE tcp: pipelined PING and VERSION in order" "$lines" "PONG|pricelane 0.1.0|"
    check_eq "$ENGINE tcp: pipelined lookup 2" "$(field "$(sed -n 2p <<<"$got")" status)" not_found
    check_eq "$ENGINE tcp: pipelined lookup 4" "$(field "$(sed -n 4p <<<"$got")" price)" 6300
    check_eq "$ENGINE tcp: QUIT answers OK then closes" "$(sed -n '5,6p' <<<"$got" | tr '\n' '|')" "OK|<closed>|"
    want=$(offline 6901234567892 6920000000012)
    got=$(printf '6901234567892\r\nGET 6920000000012\n' | plnet tcp "$PORT" --lines 2 --chunk 3 --pause 15)
    check_eq "$ENGINE tcp: requests split into 3-byte reads" "$got" "$want"
    got=$(printf '\n\n   \n6901234567892\n' | plnet tcp "$PORT" --lines 1 --shut --close-check)
    check_eq "$ENGINE tcp: blank lines skipped; half-close answered then closed" \
        "$(tail -1 <<<"$got")|$(field "$(head -1 <<<"$got")" status)" "<closed>|ok"

    # UDP: the tag comes back as the first member; the rest is the answer.
    want=$(offline 6901234567892)
    got=$(plnet udp "$PORT" '#r17 6901234567892')
    check_eq "$ENGINE udp: tagged answer" "$got" "{\"tag\":\"r17\",${want:1}"
    got=$(plnet udp "$PORT" 'GET 6920000000012 store=S3\n' 'PING' '#t1 PING')
    check_eq "$ENGINE udp: GET, PING, tagged PING" \
        "$(field "$(head -1 <<<"$got")" price)|$(sed -n '2,3p' <<<"$got" | tr '\n' '|')" "6300|PONG|#t1 PONG|"

    # The network client prints exactly what the offline lookup prints.
    want=$(offline --store S1 "${CODES[@]}")
    set +e
    got=$("$BIN/pricelane" lookup --server "127.0.0.1:$PORT" --store S1 "${CODES[@]}"); rc_tcp=$?
    gotu=$("$BIN/pricelane" lookup --server "127.0.0.1:$PORT" --udp --store S1 "${CODES[@]}"); rc_udp=$?
    "$BIN/pricelane" lookup --server "127.0.0.1:$PORT" --udp 6901234567892 >/dev/null; rc_ok=$?
    set -e
    check_eq "$ENGINE pricelane lookup --server (tcp) = offline" "$got" "$want"
    check_eq "$ENGINE pricelane lookup --server --udp = offline" "$gotu" "$want"
    check_eq "$ENGINE client exit status: 1 with a not-ok code, 0 when all ok" "$rc_tcp$rc_udp$rc_ok" "110"

    # RESP2 through the real redis-cli.
    if command -v redis-cli >/dev/null; then
        want=$(offline 6901234567892)
        check_eq "$ENGINE resp: redis-cli GET" "$(rcli -p "$PORT" GET 6901234567892)" "$want"
        want=$(offline --store S1 6920000000012)
        check_eq "$ENGINE resp: GET store:code" "$(rcli -p "$PORT" GET S1:6920000000012)" "$want"
        got=$(rcli -p "$PORT" MGET 6901234567892 S3:6920000000012 6901234567809)
        check_eq "$ENGINE resp: MGET answers every key in order" \
            "$(while read -r l; do field "$l" status; done <<<"$got" | tr '\n' ' ')" "ok ok not_found "
        check_eq "$ENGINE resp: PING" "$(rcli -p "$PORT" PING)" PONG
        check_eq "$ENGINE resp: ECHO" "$(rcli -p "$PORT" ECHO 价格)" 价格
        check_match "$ENGINE resp: INFO" "$(rcli -p "$PORT" INFO)" "pricelane_version:0\.1\.0"
    else
        echo "skip resp checks: no redis-cli"
    fi

    # Admin endpoints.
    check_eq "$ENGINE admin: /healthz" "$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/healthz")" "ok generation=1"
    m=$(metric "$ADMIN" 'pricelane_requests_total{proto="udp",status="ok"}')
    check_eq "$ENGINE admin: /metrics counts UDP lookups" "$([ "$m" -ge 2 ] && echo yes)" yes
    m=$(metric "$ADMIN" 'pricelane_workers')
    check_eq "$ENGINE admin: /metrics workers" "$m" 2
    s=$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/stats")
    check_eq "$ENGINE admin: /stats engine" "$(field "$s" engine)" "$ENGINE"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$ADMIN/nope")
    check_eq "$ENGINE admin: unknown path" "$code" 404

    stop_server srv "$SPID"
    check_eq "$ENGINE SIGTERM: exit status" "$STOP_RC" 0
done
finish
