# Shared by tests/e2e/loader_*.sh: a scratch directory, a fixed base
# catalogue built at a fixed instant (so every answer and history line is
# reproducible), snapshots of what lookups, history and the label queue show,
# and checks that print what they verified.
set -euo pipefail
BIN=${PL_BIN:?PL_BIN must name the build directory}
SRC=${PL_SOURCE_DIR:?PL_SOURCE_DIR must name the source directory}
LOAD="$BIN/pricelane-load"
LOOKUP="$BIN/pricelane"
[ -x "$LOAD" ] && [ -x "$LOOKUP" ] || {
    echo "pricelane-load or pricelane missing in $BIN"
    exit 1
}
T=$(mktemp -d)
LOADER_PIDS=()
loader_cleanup() {
    local p
    for p in "${LOADER_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap loader_cleanup EXIT
fails=0
checks=0

# The instant the base catalogue is imported at, and later ones for batches.
NOW0='2026-03-02T09:00:00+08:00'
NOW1='2026-03-03T09:00:00+08:00'
NOW2='2026-03-04T09:00:00+08:00'
NOW3='2026-03-20T09:00:00+08:00'

# Barcodes of the base catalogue (valid EAN-13) and free ones for tests.
BC_A1=6901234560015
BC_A2=6901234560022
BC_A2B=6901234560039
BC_A3=6901234560046
BC_A4=6901234560053
BC_FREE1=6901234560060
BC_FREE2=6901234560077
# A scale label of W1 (PLU 12345) with an embedded price of 12.34.
SCALE_W1=2012345012349

ok() { checks=$((checks + 1)); echo "ok   $*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $*"; }
check_eq() { # DESCRIPTION GOT WANT
    local shown=${3//$'\n'/|}
    [ ${#shown} -gt 70 ] && shown="${shown:0:67}..."
    if [ "$2" = "$3" ]; then ok "$1: $shown"; else bad "$1: got '$2', want '$3'"; fi
}
check_match() { # DESCRIPTION TEXT REGEX
    if [[ "$2" =~ $3 ]]; then ok "$1"; else bad "$1: '$2' does not match /$3/"; fi
}
check_contains() { # DESCRIPTION TEXT NEEDLE
    if [[ "$2" == *"$3"* ]]; then ok "$1"; else
        bad "$1: no '$3' in:"
        printf '%s\n' "$2" | sed 's/^/       /' | head -40
    fi
}
check_not_contains() { # DESCRIPTION TEXT NEEDLE
    if [[ "$2" != *"$3"* ]]; then ok "$1"; else
        bad "$1: unexpected '$3' in:"
        printf '%s\n' "$2" | sed 's/^/       /' | head -40
    fi
}
check_files_same() { # DESCRIPTION FILE1 FILE2
    if cmp -s "$2" "$3"; then ok "$1"; else
        bad "$1: they differ:"
        diff "$2" "$3" | head -30 | sed 's/^/       /'
    fi
}
finish() {
    echo "$(basename "$0" .sh): $checks checks, $fails failed"
    [ "$fails" = 0 ]
}

# run CMD...: runs it, keeping its exit status in RC and its output (stdout
# and stderr) in OUT, without tripping set -e.
run() {
    RC=0
    OUT=$("$@" 2>&1) || RC=$?
}

# field JSON NAME → the value (null, true/false, numbers and strings as text)
field() {
    python3 -c 'import json,sys
v=json.loads(sys.argv[1]).get(sys.argv[2])
print("null" if v is None else (str(v).lower() if isinstance(v,bool) else v))' "$1" "$2"
}

# answer DB CODE [lookup options...] → the JSON answer at NOW unless --at given
answer() {
    local db=$1 code=$2
    shift 2
    "$LOOKUP" lookup --db "$db" "$@" "$code" 2>/dev/null || true
}

base_csv() {
    cat <<'EOF'
op,store,zone,name,sku,barcode,price,unit,pack_qty,plu,flags,content,promo,kind,items,start,end,pct_off,priority,member,scope,text
store,S1,Z1,上海一店,,,,,,,,,,,,,,,,,,
store,S2,Z1,上海二店,,,,,,,,,,,,,,,,,,
store,S3,Z2,北京一店,,,,,,,,,,,,,,,,,,
item,,,可口可乐 330ml,A1,,3.00,罐,1,,,330ml,,,,,,,,,,
barcode,,,,A1,6901234560015,,,,,,,,,,,,,,,,
item,,,雪碧 2L,A2,,8.00,瓶,1,,,2l,,,,,,,,,,
barcode,,,,A2,6901234560022,,,,,,,,,,,,,,,,
barcode,,,,A2,6901234560039,,,,,,,,,,,,,,,,
item,,,五常大米 5kg,A3,,50.00,袋,1,,,5kg,,,,,,,,,,
barcode,,,,A3,6901234560046,,,,,,,,,,,,,,,,
item,,,蒙牛 纯牛奶 250ml×24,A4,,60.00,箱,24,,,6l,,,,,,,,,,
barcode,,,,A4,6901234560053,,,,,,,,,,,,,,,,
price,,Z1,,A4,,58.00,,,,,,,,,,,,,,,
item,,,本地 猪五花肉,W1,,30.00,kg,1,12345,weighed,,,,,,,,,,,
promo,,,,,,45.00,,,,,,P1,special,A3,2026-01-01,2026-12-31,,,,,大米特价
EOF
}

# base_catalogue DIR: a new catalogue with the base rows, imported at NOW0.
base_catalogue() {
    local db=$1
    base_csv >"$T/base.csv"
    "$LOAD" init --db "$db" >/dev/null
    "$LOAD" import --db "$db" --quiet --now "$NOW0" "$T/base.csv"
}

CODES=("$BC_A1" "$BC_A2" "$BC_A2B" "$BC_A3" "$BC_A4" "$BC_FREE1" "$BC_FREE2" A1 A2 A3 A4 W1 "$SCALE_W1")
SKUS=(A1 A2 A3 A4 W1)

# snapshot DB FILE: what lanes and label clerks would see, at fixed instants
# (every code, chain-wide and per store, as member and not; history of every
# item; the whole label queue). Two catalogues with the same snapshot answer
# alike.
snapshot() { # DB FILE [more SKUs...]
    local db=$1 out=$2 at store code sku
    shift 2
    {
        for at in "$NOW0" "$NOW1" "$NOW2" "$NOW3" '2026-12-31T12:00:00+08:00'; do
            for store in "" S1 S3; do
                "$LOOKUP" lookup --db "$db" --at "$at" ${store:+--store "$store"} "${CODES[@]}" || true
                "$LOOKUP" lookup --db "$db" --at "$at" --member ${store:+--store "$store"} "${CODES[@]}" || true
            done
        done
        for sku in "${SKUS[@]}" "$@"; do
            "$LOAD" history --db "$db" --at "$NOW2" "$sku" || true
        done
        "$LOAD" labels list --db "$db" --all || true
    } >"$out" 2>&1
}

# dump DB FILE: every key and value of every named database (mdb_dump),
# without the header (the map size may differ after growth) and without the
# catalogue state (meta "state", 7374617465 in mdb_dump's hex), a random
# number each commit draws: the same batch applied to two copies gives the
# same records and two states. cat_state DB prints it, for the checks that want
# it.
# dump DB FILE: every record of every database, but for what each commit
# draws at random: the catalogue state (meta "state", and meta "recs" and
# "codes", the states the items' and the barcodes' records are current
# for) and the states in the change log's
# records (their keys, the generations, are kept); and the item records'
# values, which carry the instant they were written at (their keys are
# kept; verify checks each against its rows).
dump() {
    mdb_dump -a "$1" | grep -v '^mapsize=' |
        awk '/^database=/ { db = substr($0, 10) }
             /^HEADER=END/ { n = 0 }
             skip { skip = 0; next }
             $1 == "7374617465" || $1 == "72656373" || $1 == "636f646573" { skip = 1; next }
             (db == "changes" || db == "itemrecs") && /^ / { if (n++ % 2) { print " <record>"; next } }
             1' >"$2"
}
cat_state() { mdb_dump -s meta "$1" | awk 'take { print $1; exit } $1 == "7374617465" { take = 1 }'; }

have_mdb_dump() { command -v mdb_dump >/dev/null 2>&1; }

# gen DB → the price generation lanes see.
gen() { field "$(answer "$1" A1 --at "$NOW3")" gen; }

# gen_batch FILE FIRST COUNT: new items with a barcode and a price each.
gen_batch() {
    python3 - "$@" <<'EOF'
import sys
path, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def check(d):
    t = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(d)))
    return str((10 - t % 10) % 10)
with open(path, "w") as f:
    f.write("op,sku,barcode,name,price,content\n")
    for i in range(first, first + count):
        body = "69%010d" % i
        f.write("item,N%d,,新品 %d 号,%d.%02d,500g\n" % (i, i, 1 + i % 90, i % 100))
        f.write("barcode,N%d,%s,,,\n" % (i, body + check(body)))
EOF
}

# start_watcher ARGS...: pricelane-load watch ARGS in the background, its
# standard output readable on fd $WFD (through a FIFO); waits (bounded) for
# its first line, left in $line. Sets WPID and WFD.
start_watcher() {
    rm -f "$T/w.fifo"
    mkfifo "$T/w.fifo"
    "$LOAD" watch "$@" >"$T/w.fifo" 2>"$T/w.err" &
    WPID=$!
    LOADER_PIDS+=("$WPID")
    exec {WFD}<"$T/w.fifo"
    line=""
    read -r -t 20 -u "$WFD" line || true
}

# stop_watcher: SIGTERM to $WPID and a bounded wait for it; its exit status
# in WRC. Its output stays readable on $WFD until the caller closes it.
stop_watcher() {
    kill -TERM "$WPID"
    WRC=0
    timeout 60 tail -s 0.05 --pid="$WPID" -f /dev/null || true
    wait "$WPID" || WRC=$?
}
