#!/usr/bin/env bash
# A restored catalogue never answers from a cache of another history. A
# backup is taken (mdb_copy) at generation 1; the live catalogue takes a
# batch (generation 2) and a server with a cache file answers from it; the
# backup is put back and takes another batch that reaches generation 2 by
# another history; a server started on the same cache file must answer the
# restored catalogue's price, like the offline lookup. The memo is off so
# that every answer goes through the shared cache. Both engines.
source "$(dirname "$0")/lib/common.bash"
command -v mdb_copy >/dev/null || { echo "mdb_copy missing (lmdb-utils)"; exit 1; }
CODE=6901234567892 # item 100001

for engine in $ENGINES; do
    echo "== engine $engine"
    rm -rf "$T/db" "$T/bak" "$T/cache"
    make_catalogue
    mkdir "$T/bak"
    mdb_copy "$T/db" "$T/bak"
    printf 'op,sku,price\nprice,100001,11.11\n' >"$T/a.csv"
    printf 'op,sku,price\nprice,100001,22.22\n' >"$T/b.csv"
    "$BIN/pricelane-load" apply --quiet --db "$T/db" "$T/a.csv"
    rc=0; start_server first "$engine" --memo-mb 0 || rc=$?
    [ $rc = 77 ] && { echo "skip $engine: not usable on this host"; continue; }
    [ $rc = 0 ] || exit 1
    for round in 1 2; do # the second answer comes from the cache
        s=$("$BIN/pricelane" lookup --server "127.0.0.1:$PORT" "$CODE")
        check_eq "$engine before the restore, round $round" "$(field "$s" price)/$(field "$s" gen)" 1111/2
    done
    stop_server first "$SPID"

    rm -rf "$T/db"
    mv "$T/bak" "$T/db"
    "$BIN/pricelane-load" apply --quiet --db "$T/db" "$T/b.csv"
    offline=$("$BIN/pricelane" lookup --db "$T/db" "$CODE")
    check_eq "$engine restored catalogue, offline" "$(field "$offline" price)/$(field "$offline" gen)" 2222/2
    start_server second "$engine" --memo-mb 0 || exit 1
    for round in 1 2; do
        s=$("$BIN/pricelane" lookup --server "127.0.0.1:$PORT" "$CODE")
        check_eq "$engine restored catalogue through the server, round $round" \
            "$(field "$s" price)/$(field "$s" gen)" 2222/2
    done
    hits=$(cache_hits "$ADMIN")
    check_match "$engine the cache file was in use (hits after the restore: $hits)" "$hits" '^[1-9]'
    stop_server second "$SPID"
done
finish
