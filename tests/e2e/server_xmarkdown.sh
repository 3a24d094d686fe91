#!/usr/bin/env bash
# Expiry markdowns and best-before rules through the loader and a running
# pricelaned, on both engines: a batch makes the rules (3 days → 30 %, the
# last day → 70 %); a 2D scan (TCP line, then RESP) of a pack expiring in
# 2 days, today or in 10 days is charged accordingly with source
# expiry_markdown, a plain EAN-13 of the same item is not; a batch that
# changes a rule applies to the very next scan; a bad rule batch changes
# nothing. A pack past its best-before date is sold (the server's setting,
# info) and marked down as on its last day, until a best_before rule for
# the item's department blocks it from the next scan on. Rules that end
# give the plain price back. Dates are relative to the run's clock.
source "$(dirname "$0")/lib/common.bash"

make_catalogue
printf 'op,sku,dept\nitem,100001,粮油\n' >"$T/dept.csv"
"$BIN/pricelane-load" apply --db "$T/db" "$T/dept.csv" >/dev/null
NOW=$(date +%s)
# N → the date N days from the run's clock as YYMMDD, in the catalogue's
# offset (+08:00, init's default: a fixed offset, so N × 86400 s is N days)
yymmdd() { date -u -d "@$((NOW + 8 * 3600 + $1 * 86400))" +%y%m%d; }
GTIN=06901234567892 # item 100001
EAN=6901234567892
code17() { printf ']d201%s17%s10L1' "$GTIN" "$(yymmdd "$1")"; }
IN2=$(code17 2) TODAY=$(code17 0) LATER=$(code17 10)
BB_PAST=$(printf ']d201%s15%s10L1' "$GTIN" "$(yymmdd -1)")
HDR='op,promo,kind,days,pct_off,priority,scope,items,dept,start,end'

line() { printf '%s\n' "$@" | plnet tcp "$PORT" --lines $#; }
# JSON answers (one line each, the server's canonical encoding) → one line
# each: "status price source promo_id reason", None for null or absent.
# In bash: a process per answer would cost more than the lookups.
sums() {
    local j k re f
    for j in "$@"; do
        f=()
        for k in status price source promo_id reason; do
            re="\"$k\":(\"([^\"]*)\"|([^,}\"]*))"
            if [[ $j =~ $re ]] && [ "${BASH_REMATCH[1]}" != null ]; then
                f+=("${BASH_REMATCH[2]}${BASH_REMATCH[3]}")
            else
                f+=(None)
            fi
        done
        echo "${f[*]}"
    done
}
off() { echo $(($1 * (100 - $2) / 100)); } # PRICE PCT → the price less PCT %, rounded down

n=0
for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0
    start_server srv "$ENGINE" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    n=$((n + 1))
    mapfile -t S < <(sums "$(line "$EAN")")
    read -r _ P SRC0 _ <<<"${S[0]}"
    check_match "$ENGINE: the plain EAN-13 has a price" "$P" '^[0-9]+$'

    printf '%s\nexpiry_markdown,XM3-%d,,3,30,,,,,,\nexpiry_markdown,XM0-%d,,0,70,,,,,,\n' \
        "$HDR" "$n" "$n" >"$T/xm$n.csv"
    "$BIN/pricelane-load" apply --db "$T/db" "$T/xm$n.csv" >/dev/null
    mapfile -t A < <(line "$IN2" "$TODAY" "$LATER" "$EAN" "$BB_PAST")
    mapfile -t S < <(sums "${A[@]}")
    check_eq "$ENGINE: 2 days left: 30 % off" "${S[0]}" "ok $(off "$P" 30) expiry_markdown XM3-$n None"
    check_eq "$ENGINE: the last day: 70 % off" "${S[1]:-}" "ok $(off "$P" 70) expiry_markdown XM0-$n None"
    check_eq "$ENGINE: 10 days left: the price as it was" "${S[2]:-}" "ok $P $SRC0 None None"
    check_eq "$ENGINE: the plain EAN-13 is not marked down" "${S[3]:-}" "ok $P $SRC0 None None"
    check_eq "$ENGINE: past best-before, no rule (server: info): sold, as on its last day" "${S[4]:-}" \
        "ok $(off "$P" 70) expiry_markdown XM0-$n None"
    check_eq "$ENGINE: RESP answers as TCP" "$(rcli -p "$PORT" GET "$IN2")" "${A[0]}"

    # The same rule id rewritten: 40 % from 3 days, at the next scan.
    printf '%s\nexpiry_markdown,XM3-%d,,3,40,,,,,,\n' "$HDR" "$n" >"$T/xm$n-b.csv"
    "$BIN/pricelane-load" apply --db "$T/db" "$T/xm$n-b.csv" >/dev/null
    mapfile -t A < <(line "$IN2")
    mapfile -t S < <(sums "${A[@]}")
    check_eq "$ENGINE: the changed rule applies to the next scan" "${S[0]}" \
        "ok $(off "$P" 40) expiry_markdown XM3-$n None"
    check_eq "$ENGINE: over RESP too" "$(rcli -p "$PORT" GET "$IN2")" "${A[0]}"

    # A bad batch (no percentage; a best-before rule of no kind): nothing applied.
    printf '%s\nexpiry_markdown,XM3-%d,,1,,,,,,,\nbest_before,BB-%d,sometimes,,,,,,,,\n' \
        "$HDR" "$n" "$n" >"$T/bad$n.csv"
    out=$("$BIN/pricelane-load" apply --db "$T/db" "$T/bad$n.csv" 2>&1) && bad "$ENGINE: a bad rule batch was accepted"
    check_match "$ENGINE: the missing percentage named" "$out" "bad$n.csv:2:pct_off: missing"
    check_match "$ENGINE: the unknown kind named" "$out" \
        "bad$n.csv:3:kind: \"sometimes\": a best-before rule is block or info"

    # The department's best-before rule blocks from the next scan on.
    printf '%s\nbest_before,BB-%d,block,,,,,,粮油,,\n' "$HDR" "$n" >"$T/bb$n.csv"
    "$BIN/pricelane-load" apply --db "$T/db" "$T/bb$n.csv" >/dev/null
    mapfile -t A < <(line "$BB_PAST" "$IN2" "$LATER")
    mapfile -t S < <(sums "${A[@]}")
    check_eq "$ENGINE: the department's rule blocks the next scan" "${S[0]}" \
        "blocked $P None None best_before"
    check_eq "$ENGINE: the bad batch changed no rule" "${S[1]:-}" \
        "ok $(off "$P" 40) expiry_markdown XM3-$n None"
    check_eq "$ENGINE: a pack within its dates is still sold" "${S[2]:-}" "ok $P $SRC0 None None"
    check_eq "$ENGINE: RESP answers as TCP" "$(rcli -p "$PORT" GET "$BB_PAST")" "${A[0]}"

    # The rules end (a window over by now) before the next engine's run.
    t=$(date +%s)
    w="@$((t - 60)),@$t"
    printf '%s\nexpiry_markdown,XM3-%d,,3,40,,,,,%s\nexpiry_markdown,XM0-%d,,0,70,,,,,%s\nbest_before,BB-%d,block,,,,,,粮油,%s\n' \
        "$HDR" "$n" "$w" "$n" "$w" "$n" "$w" >"$T/end$n.csv"
    "$BIN/pricelane-load" apply --db "$T/db" "$T/end$n.csv" >/dev/null
    mapfile -t A < <(line "$IN2" "$BB_PAST")
    mapfile -t S < <(sums "${A[@]}")
    check_eq "$ENGINE: the rules over, the 2D price is the plain one" "${S[0]}" "ok $P $SRC0 None None"
    check_eq "$ENGINE: and the past best-before sells" "${S[1]:-}" "ok $P $SRC0 None None"
    stop_server srv "$SPID"
done
out=$("$BIN/pricelane-load" verify --db "$T/db" 2>&1) && ok "verify: $out" || bad "verify: $out"
finish
