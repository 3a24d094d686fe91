#!/usr/bin/env bash
# A full disk under the loader: the catalogue lives on a 4 MiB tmpfs.
#  - a batch that fills the map (created with --map-size 64K) and then the
#    disk: the loader grows the map, runs the batch again and hits ENOSPC;
#  - a batch on a roomy map that fills the disk;
#  - an import that fills the disk;
#  - init on a disk with no room left (once a SIGBUS in LMDB's lock file).
# Each time: exit 1 with an error that says the file system is full, the
# catalogue as before (mdb_dump; lookups, history and labels), verify clean.
# With room made (the tmpfs remounted larger) the same batch applies
# exactly once and ends equal to a catalogue that never ran out of space.
# Needs root (mount); exit 77 where mounting is refused.
source "$(dirname "$0")/lib/loader.bash"
have_mdb_dump || {
    echo "mdb_dump (lmdb-utils) not installed: skipped"
    exit 77
}
MNT=$T/mnt
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=4m tmpfs "$MNT" 2>"$T/mount.err"; then
    echo "skip: cannot mount a tmpfs here: $(cat "$T/mount.err")"
    exit 77
fi
trap 'umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true; loader_cleanup' EXIT
room() { mount -o remount,size="$1" "$MNT"; }
free_kb() { df -k --output=avail "$MNT" | tail -1 | tr -d ' '; }
ITEMS=${PL_DISKFULL_ITEMS:-15000}

base_csv >"$T/base.csv"
gen_batch "$T/big.csv" 10000 "$ITEMS"
printf 'price,A1,,,3.20,\n' >>"$T/big.csv"

# full_then_room DESC DB CMD...: CMD (an apply or import into DB on the full
# tmpfs) must fail cleanly and leave DB as it was; after remounting with room
# the same CMD must succeed. Sets RC/OUT of the successful run.
full_then_room() {
    local desc=$1 db=$2 problems=""
    shift 2
    dump "$db" "$T/before.dump"
    snapshot "$db" "$T/before.snap" N10000
    run "$@"
    [ "$RC" = 1 ] || problems+=" exit $RC, want 1;"
    [[ "$OUT" == *"no space left on the catalogue's file system ("* ]] || problems+=" message: $(tr '\n' ' ' <<<"$OUT");"
    dump "$db" "$T/after.dump"
    cmp -s "$T/before.dump" "$T/after.dump" || problems+=" the catalogue changed (mdb_dump);"
    snapshot "$db" "$T/after.snap" N10000
    cmp -s "$T/before.snap" "$T/after.snap" ||
        problems+=" lookups, history or labels changed: $(diff "$T/before.snap" "$T/after.snap" | head -4 | tr '\n' ' ' || true);"
    "$LOAD" verify --db "$db" >"$T/verify.out" 2>&1 || problems+=" verify: $(head -2 "$T/verify.out" | tr '\n' ' ');"
    if [ -z "$problems" ]; then
        ok "$desc: exit 1, '$(grep -o "no space left on the catalogue's file system ([^)]*)" <<<"$OUT")', catalogue unchanged, verify ok"
    else
        bad "$desc:$problems"
    fi
    room 64m
    run "$@"
    check_eq "$desc: with room made, the same command: exit 0" "$RC" 0
}

# ---- the map fills, then the disk -----------------------------------------
"$LOAD" init --db "$MNT/db" --map-size 64K >/dev/null
"$LOAD" import --db "$MNT/db" --quiet --now "$NOW0" "$T/base.csv"
cp -a "$MNT/db" "$T/ref"
g0=$(gen "$MNT/db")
full_then_room "map full, then disk full during a batch ($ITEMS new items)" "$MNT/db" \
    "$LOAD" apply --db "$MNT/db" --now "$NOW1" "$T/big.csv"
check_contains "... the map grew for it" "$OUT" "(map grown)"
check_eq "... applied once: one generation" "$(gen "$MNT/db")" $((g0 + 1))
run "$LOAD" apply --db "$MNT/db" --now "$NOW1" "$T/big.csv"
check_contains "... again: already applied" "$OUT" "already applied"
"$LOAD" apply --db "$T/ref" --quiet --now "$NOW1" "$T/big.csv"
dump "$MNT/db" "$T/a.dump"
dump "$T/ref" "$T/b.dump"
check_files_same "... every record equals the batch applied with room to spare" "$T/a.dump" "$T/b.dump"
run "$LOAD" verify --db "$MNT/db"
check_eq "... verify" "$RC" 0
rm -rf "$MNT/db" "$T/ref"
room 4m

# ---- a roomy map, the disk fills ------------------------------------------
"$LOAD" init --db "$MNT/db2" >/dev/null
"$LOAD" import --db "$MNT/db2" --quiet --now "$NOW0" "$T/base.csv"
g0=$(gen "$MNT/db2")
full_then_room "disk full during a batch (1 GiB map)" "$MNT/db2" \
    "$LOAD" apply --db "$MNT/db2" --now "$NOW1" "$T/big.csv"
check_eq "... applied once" "$(gen "$MNT/db2")" $((g0 + 1))
run "$LOAD" verify --db "$MNT/db2"
check_eq "... verify" "$RC" 0
rm -rf "$MNT/db2"
room 4m

# ---- import ---------------------------------------------------------------
"$LOAD" init --db "$MNT/db3" >/dev/null
full_then_room "disk full during an import" "$MNT/db3" \
    "$LOAD" import --db "$MNT/db3" --now "$NOW0" "$T/base.csv" "$T/big.csv"
check_match "... then imported" "$OUT" "^imported base: "
check_eq "... generation 1" "$(gen "$MNT/db3")" 1
run "$LOAD" verify --db "$MNT/db3"
check_eq "... verify" "$RC" 0
rm -rf "$MNT/db3"
room 4m

# ---- init with no room at all ---------------------------------------------
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
run "$LOAD" init --db "$MNT/db4"
check_eq "init on a full disk: exit 1 with the reason (no SIGBUS)" "$RC|$OUT" \
    "1|pricelane-load init: $MNT/db4: No space left on device"
rm -f "$MNT/filler"
run "$LOAD" init --db "$MNT/db4"
check_eq "init once there is room: exit 0" "$RC" 0
finish
