#!/usr/bin/env bash
# Freshness: after each of 200 change batches, as soon as pricelane-load
# exits, the changed item is looked up over TCP and UDP on every worker: no
# answer may be stale. A promotion two seconds ahead switches on and off at
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
    # The item changed 200 times has outgrown a cache slot (its whole price
    # history is cached data); another item shows the cache at work.
    printf 'GET 6920000000012\nGET 6920000000012\nGET 6920000000012\n' | plnet tcp "$PORT" --lines 3 >/dev/null
    cm=$(curl -s --max-time 10 "http://127.0.0.1:$ADMIN/metrics" | grep '^pricelane_cache' | tr '\n' ' ')
    check_match "$ENGINE cache was used" "$cm" "pricelane_cache_hits_total [1-9]"
    stop_server srv "$SPID"
    check_eq "$ENGINE exit status" "$STOP_RC" 0
done
finish
