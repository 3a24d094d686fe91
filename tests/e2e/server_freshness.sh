#!/usr/bin/env bash
# Freshness: after each of 200 change batches, as soon as pricelane-load
# exits, the changed item is looked up over TCP and UDP on every worker: no
# answer may be stale. A promotion three seconds ahead switches on and off at
# its instants with no loader run. With the shared cache on. Both engines.
source "$(dirname "$0")/lib/common.bash"
make_catalogue
BATCHES=${PL_FRESH_BATCHES:-200}

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server srv "$ENGINE" --cache-mb 8 || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    mkdir -p "$T/$ENGINE"
    if timeout 240 python3 "$SRC/tests/e2e/lib/freshness.py" "$BIN/pricelane-load" "$T/db" "$PORT" \
        "$ADMIN" "$BATCHES" "$T/$ENGINE"; then
        ok "$ENGINE freshness"
    else
        bad "$ENGINE freshness (see above)"
    fi
    # The item changed 200 times may have outgrown a cache slot (its whole
    # price history is cached data); another item, which no batch touched,
    # shows the caches at work: its view is built and stored at most once
    # (a view stored before the batches is still good), and every other
    # lookup is answered from the worker's memo or the shared cache (a view,
    # or the finished answer another worker left there).
    ins0=$(metric "$ADMIN" pricelane_cache_inserts_total)
    hits() {
        echo $(($(metric "$ADMIN" pricelane_cache_hits_total) + $(metric "$ADMIN" pricelane_memo_hits_total) +
            $(metric "$ADMIN" pricelane_cache_answer_hits_total)))
    }
    hit0=$(hits)
    printf 'GET 6920000000012\nGET 6920000000012\nGET 6920000000012\n' | plnet tcp "$PORT" --lines 3 >/dev/null
    ins=$(($(metric "$ADMIN" pricelane_cache_inserts_total) - ins0))
    hit=$(($(hits) - hit0))
    check_eq "$ENGINE caches used: view stored at most once, the other lookups hits" \
        "$((ins + hit)) $((ins <= 1))" "3 1"
    stop_server srv "$SPID"
    check_eq "$ENGINE exit status" "$STOP_RC" 0
done
finish
