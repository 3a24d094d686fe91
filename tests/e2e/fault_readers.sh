#!/usr/bin/env bash
# LMDB reader slots left by killed readers. A reader that dies inside a read
# transaction leaves its slot in lock.mdb claiming an old snapshot; left
# there it would pin every page freed since, and the data file would grow
# with each batch. Here readers are SIGKILLed over and over while batches
# are applied: a small program holding a read transaction (tests/fault/
# rdhold.c), and pricelaned itself, killed under lookups. mdb_stat -r shows
# the dead readers' slots before each apply and none after it: the loader's
# mdb_reader_check at open clears them. Over all the batches the data file
# uses exactly as many pages as the same batches applied with no reader at
# all; a control run with one reader kept alive shows the growth the check
# prevents. An idle process keeps the environment open throughout, so that
# no opener could reset the reader table instead.
source "$(dirname "$0")/lib/fault.bash"
command -v mdb_stat >/dev/null || {
    echo "mdb_stat (lmdb-utils) not installed: skipped"
    exit 77
}
BATCHES=${PL_READER_BATCHES:-30}
gen_catalogue "$T/base" 400
SKUS=($(grep '^item,' "$T/cat.csv" | cut -d, -f3 | head -40))

batch() { # N FILE: new base prices for 20 items
    {
        echo "op,sku,price"
        for i in $(seq 0 19); do
            echo "price,${SKUS[$(((i * 2 + $1) % ${#SKUS[@]}))]},$((10 + $1)).$((i + 10))"
        done
    } >"$2"
}
# Each batch at its own fixed instant: the same batches then make the same
# records in every run (two batches within one second would otherwise
# replace each other's rows, and the sizes would depend on timing).
T0=$(($(date +%s) - 43200))
apply() { # DB N
    batch "$2" "$T/b$2.csv"
    "$LOAD" apply --db "$1" --quiet --now "@$((T0 + $2 * 60))" "$T/b$2.csv"
}
pages() { { mdb_stat -e "$1" || true; } | awk '/Number of pages used/ { print $5 }'; }
readers() { { mdb_stat -r "$1" || true; } | awk 'NR > 2 && $1 ~ /^[0-9]+$/ { print $1 }' | sort -u | tr '\n' ' '; }

# hold [--idle] DB: starts rdhold, waits (bounded) for its line; HPID.
hold() {
    local out=$T/hold.$RANDOM
    "$BIN/rdhold" "$@" >"$out" 2>&1 &
    HPID=$!
    PL_PIDS+=("$HPID")
    wait_until 10 grep -q "pid=" "$out" || { echo "rdhold did not start: $(cat "$out")"; exit 1; }
}
killwait() { kill -KILL "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# ---- A: the batches with no reader: the reference size --------------------
cp -a "$T/base" "$T/a"
for n in $(seq "$BATCHES"); do apply "$T/a" "$n"; done
pa=$(pages "$T/a")

# ---- B: readers killed in the middle of read transactions -----------------
cp -a "$T/base" "$T/b"
mkdir -p "$T/srv"
hold --idle "$T/b"
IDLE=$HPID
fails_before=0 fails_after=0 killed_servers=0
for n in $(seq "$BATCHES"); do
    dead=""
    if [ $((n % 5)) = 1 ]; then
        # pricelaned under lookups, killed mid-stream: its workers' slots stay.
        # (Started first: its own open clears older dead slots.)
        ln -sfn "$T/b" "$T/db"
        rc=0; start_server "srv$n" "${ENGINES%% *}" --cache-mb 0 || rc=$?
        [ $rc = 0 ] || exit 1
        timeout 30 "$BENCH" run --server "127.0.0.1:$PORT" --proto tcp --keys "$T/keys" --conns 4 \
            --duration 1 --warmup 0 --json >/dev/null 2>&1 &
        bp=$!
        wait_until 10 metric_at_least "$ADMIN" 'pricelane_requests_total{proto="tcp",status="ok"}' 200 || true
        dead+="$SPID "
        killwait "$SPID"
        wait "$bp" 2>/dev/null || true
        killed_servers=$((killed_servers + 1))
    fi
    hold "$T/b"
    dead+="$HPID "
    killwait "$HPID"
    before=$(readers "$T/b")
    for p in $dead; do [[ " $before" == *" $p "* ]] || fails_before=$((fails_before + 1)); done
    [ "$n" = 1 ] && echo "     before batch 1, mdb_stat -r lists the readers: $before(dead: $dead)"
    apply "$T/b" "$n"
    after=$(readers "$T/b")
    for p in $dead; do [[ " $after" == *" $p "* ]] && fails_after=$((fails_after + 1)); done
    [ "$n" = 1 ] && echo "     after it: ${after:-(no active readers)}"
done
check_eq "$BATCHES rounds ($killed_servers with pricelaned): every killed reader's slot listed before the apply" \
    "$fails_before missing" "0 missing"
check_eq "... and cleared by the loader's open (mdb_reader_check)" "$fails_after left" "0 left"
pb=$(pages "$T/b")
check_eq "data file after $BATCHES batches with killed readers: pages used as with no reader ($pa)" "$pb" "$pa"
killwait "$IDLE"

# ---- C: control: one reader kept alive pins the old pages -----------------
cp -a "$T/base" "$T/c"
hold "$T/c"
LIVE=$HPID
for n in $(seq "$BATCHES"); do apply "$T/c" "$n"; done
pc=$(pages "$T/c")
echo "     pages used after $BATCHES batches: no reader $pa, killed readers $pb, one live reader $pc"
echo "     data.mdb bytes: no reader $(stat -c %s "$T/a/data.mdb"), killed readers" \
    "$(stat -c %s "$T/b/data.mdb"), one live reader $(stat -c %s "$T/c/data.mdb")"
check_eq "control: a live reader's snapshot makes the file grow (the test can see growth)" \
    "$([ "$pc" -gt $((pa + BATCHES)) ] && echo yes || echo "no: $pc vs $pa")" yes
# Once it dies, its slot is cleared and the pages are reused again.
killwait "$LIVE"
apply "$T/c" $((BATCHES + 1))
check_eq "control: its slot cleared at the next apply" "$(readers "$T/c")" ""
pc1=$(pages "$T/c")
for n in $(seq $((BATCHES + 2)) $((BATCHES + 11))); do apply "$T/c" "$n"; done
check_eq "control: ten more batches reuse the freed pages (no growth)" \
    "$([ "$(pages "$T/c")" -le "$pc1" ] && echo yes || echo "$(pages "$T/c") > $pc1")" yes
run_verify() { "$LOAD" verify --db "$1" --quiet >/dev/null 2>&1 && echo ok || echo failed; }
check_eq "verify after all rounds" "$(run_verify "$T/a") $(run_verify "$T/b") $(run_verify "$T/c")" "ok ok ok"
finish
