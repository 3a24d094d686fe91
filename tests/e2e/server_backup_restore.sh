#!/usr/bin/env bash
# Backup and restore under load: pricelane-load backup copies the catalogue
# while a server answers a stream of lookups; batches then change the price;
# pricelane-load restore puts the backup back while the stream goes on. Every
# answer of the stream is ok (no error reply during the swap) and carries
# either the replaced price or the restored one; every request sent after
# restore returned gets the restored price and the new generation (no stale
# answer: the memo and the shared cache are on), and the generation the
# stream sees never goes back. The restore is in the batch
# ledger; verify passes; the backup itself is unchanged. Both engines.
source "$(dirname "$0")/lib/common.bash"
CODE=6901234567892 # item 100001
LOAD=$BIN/pricelane-load

# stream PORT CODE DONE OUT: lookups over one TCP connection until $T/stop
# exists; one line per answer: "after|before price gen status", after = DONE
# existed when the request was sent.
stream() {
    python3 - "$@" <<'PY' &
import json, os, socket, sys, time
port, code, done, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
stop = os.path.join(os.path.dirname(out), "stop")
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
deadline = time.monotonic() + 60  # bounded whatever happens
with open(out, "w") as o:
    while not os.path.exists(stop) and time.monotonic() < deadline:
        after = os.path.exists(done)
        s.sendall(code.encode() + b"\n")
        line = f.readline()
        if not line:
            o.write("closed\n")
            break
        a = json.loads(line)
        o.write("%s %s %s %s\n" % ("after" if after else "before", a.get("price"), a.get("gen"), a.get("status")))
PY
    PL_PIDS+=($!)
    STREAM=$!
}

for engine in $ENGINES; do
    echo "== engine $engine"
    rm -rf "$T/db" "$T/bak" "$T/cache" "$T/stop" "$T/done" "$T/s1" "$T/bak.copy"
    make_catalogue
    rc=0; start_server s "$engine" || rc=$?
    [ $rc = 77 ] && { echo "skip $engine: not usable on this host"; continue; }
    [ $rc = 0 ] || exit 1
    before=$("$BIN/pricelane" lookup --server "127.0.0.1:$PORT" "$CODE")
    bprice=$(field "$before" price)

    stream "$PORT" "$CODE" "$T/done" "$T/s1"
    wait_until 10 test -s "$T/s1" || true
    out=$("$LOAD" backup --db "$T/db" "$T/bak")
    check_eq "$engine backup while serving" "$out" "$T/db: backed up into $T/bak"
    bgen=$(mdb_dump -s meta "$T/bak" >/dev/null 2>&1 && "$BIN/pricelane" lookup --db "$T/bak" "$CODE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["gen"])')
    for p in 11.11 22.22; do
        printf 'op,sku,price\nprice,100001,%s\n' "$p" >"$T/p$p.csv"
        "$LOAD" apply --quiet --db "$T/db" "$T/p$p.csv"
    done
    wait_until 10 grep -q ' 2222 ' "$T/s1" || true
    check_match "$engine the stream sees the batches" "$(tail -1 "$T/s1")" '^before 2222 [0-9]+ ok$'
    cp "$T/bak/data.mdb" "$T/bak.copy"
    next_job() { mdb_dump -s meta -p "$1" | grep -A1 '^ next_job$' | tail -1; }
    jobs_before=$(next_job "$T/db")

    out=$("$LOAD" restore --db "$T/db" --now @2000000000 "$T/bak")
    touch "$T/done"
    check_match "$engine restore reports the swap" "$out" "restored from $T/bak \\(backup generation $bgen, .*now [0-9]+ \\(ledger: restore@2000000000\\)"
    wait_until 10 grep -q '^after' "$T/s1" || true
    touch "$T/stop"
    wait "$STREAM" || true
    n=$(wc -l <"$T/s1")
    check_eq "$engine every answer of the stream ok ($n answers)" "$(grep -cv ' ok$' "$T/s1")" 0
    check_eq "$engine every answer is a committed price (base, either batch, restored)" \
        "$(awk -v b="$bprice" '$2 != b && $2 != 1111 && $2 != 2222' "$T/s1" | wc -l)" 0
    check_eq "$engine the generation never goes back within the stream" \
        "$(awk 'NR > 1 && $3 < last { n++ } { last = $3 } END { print n + 0 }' "$T/s1")" 0
    check_eq "$engine no stale answer after the restore returned" \
        "$(awk -v b="$bprice" '$1 == "after" && $2 != b' "$T/s1" | wc -l)/$(grep -c '^after' "$T/s1")" \
        "0/$(grep -c '^after' "$T/s1")"
    now=$("$BIN/pricelane" lookup --server "127.0.0.1:$PORT" "$CODE")
    off=$("$BIN/pricelane" lookup --db "$T/db" "$CODE")
    check_eq "$engine server answers the restored catalogue" "$(field "$now" price)/$(field "$now" gen)" \
        "$bprice/$(field "$off" gen)"
    check_match "$engine generation above both histories" "$(field "$now" gen)" "^([4-9]|[1-9][0-9]+)$"
    check_match "$engine the ledger records the restore" "$(mdb_dump -s batches -p "$T/db")" 'restore@2000000000'
    check_eq "$engine label job ids go on from the replaced history's" "$(next_job "$T/db")" "$jobs_before"
    check_eq "$engine verify after the restore" "$("$LOAD" verify --db "$T/db" --quiet >/dev/null; echo $?)" 0
    if cmp -s "$T/bak/data.mdb" "$T/bak.copy"; then ok "$engine the backup was only read"
    else bad "$engine the backup changed"; fi
    stop_server s "$SPID"
done

# Backups taken while a loader applies 20 batches (how many overlap depends
# on the machine): each is one whole state
# (verify passes, its generation is a batch's, its price that batch's).
for i in $(seq 1 20); do printf 'op,sku,price\nprice,100001,%d.00\n' "$((30 + i))" >"$T/w$i.csv"; done
"$LOAD" apply --quiet --db "$T/db" "$T"/w{1..20}.csv &
LOADER=$!
PL_PIDS+=("$LOADER")
for n in 1 2 3; do
    "$LOAD" backup --db "$T/db" "$T/live$n" >/dev/null
    v=$("$LOAD" verify --db "$T/live$n" 2>&1) && ok "backup $n during batches passes verify" || bad "backup $n: $v"
    a=$("$BIN/pricelane" lookup --db "$T/live$n" "$CODE")
    g=$(field "$a" gen)
    last=$(mdb_dump -s meta -p "$T/live$n" | grep -A1 '^ last_batch$' | tail -1 | tr -d ' ')
    case "$last" in
    w*) check_eq "backup $n: the price of its last batch $last" "$(field "$a" price)" "$(((30 + ${last#w}) * 100))" ;;
    *) ok "backup $n taken before the first of these batches (gen $g)" ;;
    esac
done
wait "$LOADER"

# Refusals leave the catalogue as it was.
mdb_dump -a "$T/db" >"$T/before.dump"
err=$("$LOAD" restore --db "$T/db" "$T/nowhere" 2>&1 || true)
check_eq "restore from a directory without a backup" "$err" \
    "pricelane-load restore: $T/nowhere: not a backup (no data.mdb, or no catalogue in it); $T/db unchanged"
mkdir "$T/junk" && head -c 65536 /dev/urandom >"$T/junk/data.mdb"
err=$("$LOAD" restore --db "$T/db" "$T/junk" 2>&1 || true)
check_match "restore from a file that is not LMDB" "$err" "$T/junk: a backup of another schema version, or not an LMDB file"
err=$("$LOAD" restore --db "$T/db" "$SRC/tests/data/catalog-v1" 2>&1 || true)
check_match "restore from a backup of schema version 1" "$err" "catalog-v1: a backup of another schema version"
err=$("$LOAD" restore --db "$T/db" "$T/db" 2>&1 || true)
check_eq "restore from the catalogue itself" "$err" \
    "pricelane-load restore: $T/db: is the catalogue itself, not a backup of it; $T/db unchanged"
mdb_dump -a "$T/db" >"$T/after.dump"
if cmp -s "$T/before.dump" "$T/after.dump"; then ok "refused restores changed nothing"; else bad "a refused restore changed the catalogue"; fi
err=$("$LOAD" backup --db "$T/db" "$T/bak" 2>&1 || true)
check_eq "backup into an existing directory" "$err" \
    "pricelane-load backup: $T/bak: exists (or OUT.part does): back up into a new directory"
finish
