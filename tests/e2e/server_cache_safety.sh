#!/usr/bin/env bash
# The shared cache and the workers' memos change nothing but speed: answers
# with --cache-mb 0 --memo-mb 0 and with both (cold, warm, after a restart,
# two servers sharing one segment) are byte-identical. Safety on a store network: only the
# configured address is bound, the allowlist drops other clients, the
# per-source UDP rate limit drops a flood. Both engines.
source "$(dirname "$0")/lib/common.bash"
make_catalogue

REQS="$T/reqs"
for code in 6901234567892 6901234567885 6920000000012 036000291452 100003 2112345012346 \
    2012345019959 6901234567809 6901234567893 'x!y'; do
    for opt in "" " store=S1" " store=S3" " member" " store=S1 member"; do
        printf 'GET %s%s\n' "$code" "$opt"
    done
done >"$REQS"
NREQ=$(wc -l <"$REQS")
ask() { plnet tcp "$1" --lines "$NREQ" <"$REQS"; }

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server nocache "$ENGINE" --cache-mb 0 --memo-mb 0 || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    P0=$PORT; S0=$SPID
    rm -f "$T/cache"
    # one worker: the warm pass then meets the memo the cold pass filled
    rc=0; start_server cache "$ENGINE" --cache-mb 8 --threads 1 || rc=$?
    [ $rc = 0 ] || exit 1
    P1=$PORT; A1=$ADMIN; S1=$SPID
    # the second server also keeps finished answers in the segment
    rc=0; start_server cache2 "$ENGINE" --cache-mb 8 --cache-answers on || rc=$?
    [ $rc = 0 ] || exit 1
    P2=$PORT; S2=$SPID

    want=$(ask "$P0")
    check_eq "$ENGINE $NREQ answers without cache" "$(wc -l <<<"$want")" "$NREQ"
    check_eq "$ENGINE cache cold: byte-identical" "$(ask "$P1")" "$want"
    check_eq "$ENGINE cache warm: byte-identical" "$(ask "$P1")" "$want"
    check_eq "$ENGINE second server on the same segment: byte-identical" "$(ask "$P2")" "$want"
    hits=$(metric "$A1" pricelane_cache_hits_total)
    check_eq "$ENGINE cache hits counted" "$([ "$hits" -gt 0 ] && echo yes)" yes
    check_eq "$ENGINE memo hits counted" \
        "$([ "$(metric "$A1" pricelane_memo_hits_total)" -gt 0 ] && echo yes)" yes
    stop_server cache "$S1"
    stop_server cache2 "$S2"
    rc=0; start_server cache3 "$ENGINE" --cache-mb 8 --cache-answers on || rc=$?
    [ $rc = 0 ] || exit 1
    check_eq "$ENGINE after a restart on the old segment: byte-identical" "$(ask "$PORT")" "$want"
    check_eq "$ENGINE ... served from the surviving finished answers" \
        "$([ "$(metric "$ADMIN" pricelane_cache_answer_hits_total)" -gt 0 ] && echo yes)" yes
    stop_server cache3 "$SPID"
    stop_server nocache "$S0"

    # Bound exactly where configured.
    rc=0; start_server safe "$ENGINE" --udp-rate 5 --udp-burst 5 || rc=$?
    [ $rc = 0 ] || exit 1
    if command -v ss >/dev/null; then
        socks=$(ss -Hlntu "( sport = :$PORT )" | awk '{ print $1, $5 }' | sort | tr '\n' ' ')
        check_eq "$ENGINE only 127.0.0.1 bound (2 workers × udp, tcp)" "$socks" \
            "tcp 127.0.0.1:$PORT tcp 127.0.0.1:$PORT udp 127.0.0.1:$PORT udp 127.0.0.1:$PORT "
    fi
    n=$(plnet --timeout 1 udpburst "$PORT" 200 PING)
    check_eq "$ENGINE udp flood of 200 from one source: at most ~burst answered" \
        "$([ "$n" -ge 1 ] && [ "$n" -le 15 ] && echo yes)" yes
    d=$(metric "$ADMIN" 'pricelane_udp_dropped_total{reason="rate_limited"}')
    check_eq "$ENGINE rate-limited datagrams counted" "$([ "$d" -ge 185 ] && echo yes)" yes
    check_eq "$ENGINE TCP is not rate-limited" "$(printf 'PING\nPING\nPING\n' | plnet tcp "$PORT" --lines 3 | tr '\n' ' ')" "PONG PONG PONG "
    stop_server safe "$SPID"

    rc=0; start_server deny "$ENGINE" --allow "10.0.0.0/8, 192.168.0.0/16" || rc=$?
    [ $rc = 0 ] || exit 1
    check_eq "$ENGINE allowlist: UDP from 127.0.0.1 dropped" "$(plnet --timeout 1 udp "$PORT" PING)" "<none>"
    check_eq "$ENGINE allowlist: TCP from 127.0.0.1 closed" "$(printf 'PING\n' | plnet tcp "$PORT" --close-check)" "<closed>"
    check_eq "$ENGINE allowlist: refusals counted" \
        "$(metric "$ADMIN" 'pricelane_udp_dropped_total{reason="denied"}') $(metric "$ADMIN" 'pricelane_tcp_rejected_total{reason="denied"}')" "1 1"
    stop_server deny "$SPID"
    check_eq "$ENGINE exit status" "$STOP_RC" 0
done
finish
