#!/usr/bin/env bash
# A batch invalidates only what it touched, through a running server (one
# worker, both engines, cache and memo on): while four batches change one
# item's price, the answers of the other items stay memo hits carrying each
# new generation, equal to the answers the catalogue gives offline, and the changed
# item answers its new price at once. The worker follows the change log
# (pricelane_changes_followed_total) instead of flushing; a store change
# flushes (pricelane_cache_flushes_total).
source "$(dirname "$0")/lib/common.bash"
make_catalogue

A=6901234567892 # 100001, changed by every batch
B=6920000000012 # 100002, never touched
C=036000291452  # 100003, never touched
N=4             # batches per engine

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server srv "$ENGINE" --threads 1 --cache-mb 8 --memo-mb 8 || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    printf 'GET %s\nGET %s\nGET %s\n' "$A" "$B" "$C" | plnet tcp "$PORT" --lines 3 >/dev/null
    hits0=$(metric "$ADMIN" pricelane_memo_hits_total)
    followed0=$(metric "$ADMIN" pricelane_changes_followed_total)
    flushes0=$(metric "$ADMIN" pricelane_cache_flushes_total)
    stale=0 wrong=0
    for i in $(seq 1 $N); do
        cents=$((4000 + i * 7 + RANDOM % 7))
        printf 'op,batch,sku,price\nprice,churn-%s-%d-%d,100001,%d.%02d\n' "$ENGINE" "$$" "$i" \
            $((cents / 100)) $((cents % 100)) >"$T/b$i.csv"
        gen=$("$BIN/pricelane-load" apply --db "$T/db" "$T/b$i.csv" | sed -n 's/.*generation \([0-9]*\).*/\1/p')
        [ -n "$gen" ] || bad "batch $i applied"
        out=$(printf 'GET %s\nGET %s\nGET %s\n' "$A" "$B" "$C" | plnet tcp "$PORT" --lines 3)
        grep -q "^{.*\"price\":$cents," <<<"$(sed -n 1p <<<"$out")" || stale=$((stale + 1))
        # the untouched items' answers (memo hits) carry the new generation
        [ "$(grep -c "\"gen\":$gen," <<<"$(sed -n 2,3p <<<"$out")")" = 2 ] || {
            wrong=$((wrong + 1))
            echo "     batch $i (generation $gen): $(sed -n 2,3p <<<"$out")"
        }
    done
    check_eq "$ENGINE: the changed item answered its new price after each batch" "$stale" 0
    check_eq "$ENGINE: the other items' answers carried each new generation" "$wrong" 0
    # and, after the last batch, exactly what the catalogue answers offline
    for n in 2 3; do
        code=$([ $n = 2 ] && echo "$B" || echo "$C")
        check_eq "$ENGINE: $code as the catalogue answers it" "$(sed -n ${n}p <<<"$out")" \
            "$("$BIN/pricelane" lookup --db "$T/db" "$code")"
    done
    hits=$(($(metric "$ADMIN" pricelane_memo_hits_total) - hits0))
    check_eq "$ENGINE: the untouched items were memo hits after every batch" "$hits" $((2 * N))
    followed=$(($(metric "$ADMIN" pricelane_changes_followed_total) - followed0))
    flushes=$(($(metric "$ADMIN" pricelane_cache_flushes_total) - flushes0))
    check_eq "$ENGINE: $N generations followed, no flush" "$followed $flushes" "$N 0"

    printf 'op,store,zone,name\nstore,S9,east,九号店 %s\n' "$ENGINE" >"$T/store-$ENGINE.csv"
    "$BIN/pricelane-load" apply --quiet --db "$T/db" "$T/store-$ENGINE.csv" || bad "store batch applied"
    hits0=$(metric "$ADMIN" pricelane_memo_hits_total)
    printf 'GET %s\n' "$B" | plnet tcp "$PORT" --lines 1 >/dev/null
    check_eq "$ENGINE: a store change flushes (no memo hit, one flush)" \
        "$(($(metric "$ADMIN" pricelane_memo_hits_total) - hits0)) $(($(metric "$ADMIN" pricelane_cache_flushes_total) - flushes0))" "0 1"
    stop_server srv "$SPID"
done
finish
