#!/usr/bin/env bash
# Lot recalls through the loader and a running pricelaned: a 2D scan of a
# lot is sold; a batch recalls a lot range of the item; the very next scan
# of that lot (TCP line, then UDP and RESP) answers blocked/recalled with
# the recall's text, another lot is still sold; a bad recall batch changes
# nothing; lifting the recall sells the lot again; verify covers it all.
# On both engines.
source "$(dirname "$0")/lib/common.bash"

make_catalogue
CODE=']d20106901234567892'$'\x1d''10L2605'      # item 100001, lot L2605
OTHER=']d20106901234567892'$'\x1d''10L2610'     # the same item, another lot
UDP_CODE=']d20106901234567892\x1d10L2605'        # for plnet.py's escapes
HDR='op,recall,sku,barcode,lot,lot_to,start,end,text'

line() { printf '%s\n' "$@" | plnet tcp "$PORT" --lines $# ; }
status_of() { sed -n 's/^{"status":"\([a-z_]*\)".*"reason":\([^,]*\),.*/\1 \2/p; s/^{"status":"\([a-z_]*\)".*/\1/p' <<<"$1" | head -1; }

n=0
for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0
    start_server srv "$ENGINE" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    n=$((n + 1))
    check_eq "$ENGINE: before the recall, lot L2605 is sold" "$(status_of "$(line "$CODE")")" ok

    printf '%s\nrecall,R%d,100001,,L2601,L2609,,,召回：批次 L2601-L2609 请勿销售\n' "$HDR" "$n" \
        >"$T/recall$n.csv"
    "$BIN/pricelane-load" apply --db "$T/db" "$T/recall$n.csv" >/dev/null
    mapfile -t A < <(line "$CODE" "$OTHER")
    check_eq "$ENGINE: the next scan of L2605 is blocked" "$(status_of "${A[0]}")" 'blocked "recalled"'
    check_match "$ENGINE: with the recall's text" "${A[0]}" '"error":"召回：批次 L2601-L2609 请勿销售"'
    check_eq "$ENGINE: lot L2610 is still sold" "$(status_of "${A[1]:-}")" ok
    check_eq "$ENGINE: UDP answers as TCP" "$(plnet udp "$PORT" "$UDP_CODE")" "${A[0]}"
    check_eq "$ENGINE: RESP answers as TCP" "$(rcli -p "$PORT" GET "$CODE")" "${A[0]}"

    # A bad batch: an unknown item, a range that is not one; nothing applied.
    printf '%s\nrecall,X%d,999999,,L1,,,,x\nrecall,Y%d,100001,,L10,L1,,,x\nrecall,Z%d,100001,,L10,,,,\n' \
        "$HDR" "$n" "$n" "$n" >"$T/bad$n.csv"
    out=$("$BIN/pricelane-load" apply --db "$T/db" "$T/bad$n.csv" 2>&1) && bad "$ENGINE: a bad recall batch was accepted"
    check_match "$ENGINE: unknown item named" "$out" "bad$n.csv:2:sku: unknown item 999999"
    check_match "$ENGINE: a range that is not one named" "$out" \
        "bad$n.csv:3:lot_to: \"L1\": a lot range ends at a lot of the same length as \"L10\", not before it"
    check_match "$ENGINE: a recall without a text named" "$out" "bad$n.csv:4:text: missing"
    check_eq "$ENGINE: after the bad batch the recall stands" "$(status_of "$(line "$CODE")")" \
        'blocked "recalled"'

    printf 'op,recall\nrecall_lift,R%d\n' "$n" >"$T/lift$n.csv"
    "$BIN/pricelane-load" apply --db "$T/db" "$T/lift$n.csv" >/dev/null
    check_eq "$ENGINE: lifted: lot L2605 is sold again" "$(status_of "$(line "$CODE")")" ok
    check_eq "$ENGINE: blocked answers counted" "$(metric "$ADMIN" pricelane_blocked_total)" 4
    stop_server srv "$SPID"
done
out=$("$BIN/pricelane-load" verify --db "$T/db" 2>&1) && ok "verify: $out" || bad "verify: $out"
finish
