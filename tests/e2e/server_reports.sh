#!/usr/bin/env bash
# The lane's exception log through a running pricelaned, on both engines:
# REPORT over TCP (pipelined requests behind it answered after it, in
# order), over UDP with its tag, through the real redis-cli; a retry with the
# same id gets the first reply and writes nothing; another content under the
# same id, and every kind of bad input, gets a clear error and records
# nothing; keyed lookups of items with barcodes are counted per day, store
# and item without a report; /metrics counts them. Then the server is killed
# with SIGKILL at random moments while a lane sends reports without pause:
# every report the lane was told is recorded is in the store afterwards.
source "$(dirname "$0")/lib/common.bash"
make_catalogue

offline() { "$BIN/pricelane" lookup --db "$T/db" "$@" || true; }
dump() { "$BIN/reports_dump" "$@"; }
# fields JSON F1 F2 ... → "v1|v2|...": the members of a reply (flat, no
# escaped quote inside a value), read in bash: no interpreter per check.
fields() {
    local json=$1 k out="" v re
    shift
    for k in "$@"; do
        re="\"$k\":(\"([^\"]*)\"|([^,}]*))"
        v="<absent>"
        if [[ $json =~ $re ]]; then v=${BASH_REMATCH[2]}${BASH_REMATCH[3]}; fi
        out+="${out:+|}$v"
    done
    echo "$out"
}
TODAY=$(($(date +%s) / 86400))
CODE=6901234567892
SYS=$(fields "$(offline --store S1 $CODE)" price)
KEYED=100003 # an item code of an item that has barcodes

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    R=$T/reports-$ENGINE
    rc=0; start_server srv "$ENGINE" --reports-dir "$R" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1

    # TCP, one connection, everything pipelined: each report is answered
    # once on disk, and what was sent behind it after it, in order.
    BAD=(
        "REPORT $CODE id=b1 store=S9 lane=L1 cashier=c1 kind=price shelf=100|unknown store 'S9'"
        "REPORT $CODE id=b2 store=S1 lane=L1 cashier=c1 kind=price shelf=-100|shelf= must be a price in minor units (digits only), got '-100'"
        "REPORT $CODE id=b3 store=S1 lane=L1 cashier=c1 kind=price shelf=100000000|shelf= 100000000 out of range (1..99999999)"
        "REPORT $CODE id=b4 store=S1 lane=L1 cashier=c1 kind=price shelf=0|shelf= 0 out of range (1..99999999)"
        "REPORT $CODE id=$(printf 'x%.0s' {1..64}) store=S1 lane=L1 cashier=c1 kind=name|id= longer than 63 bytes"
        "REPORT $CODE id=b5 store=S1 lane=L1 cashier=$(printf 'c%.0s' {1..32}) kind=name|cashier= longer than 31 bytes"
        "REPORT $CODE id=b6 store=S1 cashier=c1 kind=name|REPORT needs lane="
        "REPORT $CODE id=b7 store=S1 lane=L1 cashier=c1 kind=smell|unknown kind 'smell' (price, no_scan, name, other)"
        "REPORT 6901234567893 id=b8 store=S1 lane=L1 cashier=c1 kind=name|bad code: EAN-13 check digit is 3, expected 2"
        "REPORT $CODE id=\"b9\" store=S1 lane=L1 cashier=c1 kind=name|bad id= '\"b9\"' (A-Z a-z 0-9 _ . : -)"
    )
    {
        printf 'REPORT %s id=r1 store=S1 lane=L1 cashier=c7 kind=price shelf=100\nGET %s store=S1\nPING\n' $CODE $CODE
        printf 'REPORT %s id=r2 store=S1 lane=L1 cashier=c7 kind=price shelf=%d\n' $CODE $((SYS + 500))
        printf 'REPORT %s id=r1 store=S1 lane=L1 cashier=c7 kind=price shelf=100\n' $CODE
        printf 'REPORT %s id=r1 store=S1 lane=L1 cashier=c7 kind=price shelf=120\n' $CODE
        for b in "${BAD[@]}"; do printf '%s\n' "${b%%|*}"; done
    } >"$T/session"
    got=$(plnet tcp "$PORT" --lines $((6 + ${#BAD[@]})) <"$T/session")
    line() { sed -n "$1p" <<<"$got"; }
    first=$(line 1)
    check_eq "$ENGINE tcp: report recorded; the lower price charged, the difference refunded" \
        "$(fields "$first" status report retry system_price charge refund)" "ok|r1|false|$SYS|100|$((SYS - 100))"
    check_eq "$ENGINE tcp: lookup and PING after the report, in order" \
        "$(fields "$(line 2)" price)|$(line 3)" "$SYS|PONG"
    check_eq "$ENGINE tcp: shelf above the system price: the system price, no refund" \
        "$(fields "$(line 4)" report charge refund)" "r2|$SYS|0"
    check_eq "$ENGINE retry: the first reply, retry true" \
        "$(fields "$(line 5)" retry at charge)" "true|$(fields "$first" at)|100"
    check_eq "$ENGINE conflict: same id, other content" "$(line 6)" \
        '{"status":"error","error":"report id '"'r1'"' of lane L1 at store S1 was recorded with other content"}'
    errors=$(sed -n "7,\$p" <<<"$got" | python3 -c 'import json,sys
for l in sys.stdin: print(json.loads(l).get("error"))')
    for i in "${!BAD[@]}"; do
        check_eq "$ENGINE bad input: ${BAD[$i]%%|*}" "$(sed -n "$((i + 1))p" <<<"$errors")" "${BAD[$i]#*|}"
    done

    # UDP: the report id makes a retry safe; the tag matches the reply.
    got=$(plnet udp "$PORT" "#u1 REPORT $CODE id=u1 store=S3 lane=L2 cashier=c8 kind=name" \
        "#u2 REPORT $CODE id=u1 store=S3 lane=L2 cashier=c8 kind=name")
    check_eq "$ENGINE udp: tagged report" "$(fields "$(head -1 <<<"$got")" tag report retry cause department)" \
        "u1|u1|false|item_data|store management"
    check_eq "$ENGINE udp: retried datagram" "$(fields "$(sed -n 2p <<<"$got")" tag retry)" "u2|true"

    # RESP through the real redis-cli.
    got=$(rcli -p "$PORT" REPORT $KEYED id=k1 store=S1 lane=L3 cashier=c9 kind=no_scan)
    check_eq "$ENGINE resp: no_scan report of a keyed code" \
        "$(fields "$got" status keyed cause refund)" "ok|true|no_scan|0"
    check_eq "$ENGINE resp: missing shelf price" "$(rcli -p "$PORT" REPORT $CODE id=k2 store=S1 lane=L3 cashier=c9 kind=price)" \
        "ERR kind=price needs shelf=, the price the customer saw"

    # One record each; nothing of the refused ones.
    check_eq "$ENGINE records: r1 r2 on L1, k1 on L3, u1 at S3, once each" \
        "$(dump "$R" | awk '$1 == "report" { print $2 "/" $3 "/" $4 }' | tr '\n' ' ')" "S1/L1/r1 S1/L1/r2 S1/L3/k1 S3/L2/u1 "

    # Keyed lookups counted by themselves (handed to the writer each second).
    printf '%s\n' "GET $KEYED store=S1" "GET $KEYED store=S1" "GET $CODE store=S1" "GET $KEYED store=S3" |
        plnet tcp "$PORT" --lines 4 >/dev/null
    keyed_seen() { [ "$(dump "$R" $((TODAY - 1)) $((TODAY + 1)) | grep '^keyed ' | awk '{ print $3 "/" $4 "=" $5 }' | tr '\n' ' ')" = "S1/$KEYED=2 S3/$KEYED=1 " ]; }
    if wait_until 10 keyed_seen; then ok "$ENGINE keyed lookups counted per store and item"; else
        bad "$ENGINE keyed lookups: $(dump "$R" $((TODAY - 1)) $((TODAY + 1)) | grep '^keyed ')"; fi

    check_eq "$ENGINE metrics: reports by kind" \
        "$(metric "$ADMIN" 'pricelane_reports_total{kind="price"}')|$(metric "$ADMIN" 'pricelane_reports_total{kind="no_scan"}')|$(metric "$ADMIN" 'pricelane_reports_total{kind="name"}')" "2|1|1"
    check_eq "$ENGINE metrics: causes, retries, conflicts" \
        "$(metric "$ADMIN" 'pricelane_report_causes_total{cause="no_scan"}')|$(metric "$ADMIN" pricelane_report_retries_total)|$(metric "$ADMIN" 'pricelane_report_refused_total{reason="conflict"}')" "1|2|1"
    check_eq "$ENGINE metrics: keyed lookups" "$(metric "$ADMIN" pricelane_keyed_lookups_total)" 3
    # report_sync covered (the default): a report alone on its connection
    # has its reply held until a sync of its own covers its commit (no
    # other commit comes while the lane waits).
    if metric_at_least "$ADMIN" pricelane_report_syncs_total 1; then
        ok "$ENGINE a lone report's commit covered by a sync of its own"
    else bad "$ENGINE no sync covered a lone report's commit: $(metric "$ADMIN" pricelane_report_syncs_total)"; fi
    # report_extend_mb 8: the file is kept 8 MiB ahead of its few pages.
    size=$(stat -c %s "$R/data.mdb")
    if [ "$size" -ge $((8 << 20)) ]; then ok "$ENGINE the store's file extended ahead of its use ($size bytes)"
    else bad "$ENGINE the store's file is $size bytes, not 8 MiB ahead of its use"; fi
    stop_server srv "$SPID"
    check_eq "$ENGINE stopped cleanly" "$STOP_RC" 0
done

# SIGKILL at random moments while a lane sends reports: every report the
# lane was told is recorded survives, with report_sync covered (odd rounds:
# the default) and each (even rounds), on one store whose file the covered
# rounds extend. bench/reports/kill runs 50 rounds.
ROUNDS=${PL_KILL_ROUNDS:-10}
# lane PORT PREFIX: REPORTs one after another on one connection (bash's
# /dev/tcp: no interpreter to start each round); the id of each one
# answered ok goes to $T/acked as soon as its reply is read. Ends when the
# server goes away; 1 on a reply that is not ok.
lane() {
    local fd n=0 reply
    exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 0
    while :; do
        n=$((n + 1))
        printf 'REPORT %s id=%s-%d store=S1 lane=L1 cashier=c1 kind=price shelf=%d\n' \
            "$CODE" "$2" "$n" $((100 + n % 50)) 1>&"$fd" 2>/dev/null || return 0
        IFS= read -r -t 10 -u "$fd" reply || return 0
        [[ $reply == '{"status":"ok","report":"'"$2-$n"'",'* ]] || { echo "not ok: $reply" >&2; return 1; }
        echo "$2-$n" >>"$T/acked"
    done
}
R=$T/reports-kill
: >"$T/acked"
ENGINE=${ENGINES%% *}
for round in $(seq 1 "$ROUNDS"); do
    sync_mode=covered
    [ $((round % 2)) = 0 ] && sync_mode=each
    rc=0; start_server kill "$ENGINE" --reports-dir "$R" --report-sync "$sync_mode" || rc=$?
    [ $rc = 0 ] || { [ $rc = 77 ] && break; exit 1; }
    lane "$PORT" "k$round" 2>"$T/reporter.err" &
    lane=$!
    n0=$(wc -l <"$T/acked")
    want=$((n0 + 1 + RANDOM % 30))
    acked_to() { [ "$(wc -l <"$T/acked")" -ge "$1" ]; }
    wait_until 20 acked_to "$want" || { bad "round $round: no reports acknowledged"; break; }
    kill -KILL "$SPID"
    wait "$SPID" 2>/dev/null || true
    timeout 20 tail --pid="$lane" -f /dev/null || kill "$lane"
    wait "$lane" || bad "round $round: the lane got a reply that is not ok: $(cat "$T/reporter.err")"
    fdv=FD_kill
    eval "exec ${!fdv}<&-" # the ready-line pipe of this round's server
done
dump "$R" | awk '$1 == "report" { print $4 }' | sort >"$T/stored"
sort "$T/acked" >"$T/acked.sorted"
missing=$(comm -23 "$T/acked.sorted" "$T/stored" | wc -l)
check_eq "SIGKILL x$ROUNDS: every acknowledged report ($(wc -l <"$T/acked") of $(wc -l <"$T/stored") stored) is in the store" "$missing" 0
finish
