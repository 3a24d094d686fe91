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
    check_eq "$ENGINE cache was used" "$([ "$(metric "$ADMIN" pricelane_cache_hits_total)" -gt 0 ] && echo yes)" yes
    stop_server srv "$SPID"
    check_eq "$ENGINE exit status" "$STOP_RC" 0
done
finish
