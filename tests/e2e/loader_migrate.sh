#!/usr/bin/env bash
# Upgrades: a catalogue written by schema version 1 (tests/data/catalog-v1)
# is refused by the lookup tool, the loader and the server with a message
# naming pricelane-load migrate, and left byte for byte as it was; migrate
# backs it up first (the backup still version 1, equal to the original),
# then migrates it; the migrated catalogue answers, shows history and labels
# exactly like one built now from the same rows (base catalogue at NOW0,
# the same batch at NOW1), passes verify, takes new batches, and a second
# migrate has nothing to do.
source "$(dirname "$0")/lib/loader.bash"
V1=$SRC/tests/data/catalog-v1
have_mdb_dump || { echo "mdb_dump missing (lmdb-utils)"; exit 1; }
mkdir "$T/old"
cp "$V1/data.mdb" "$T/old/data.mdb"
DB=$T/old

# Refused, naming the command, and unchanged.
err=$("$LOOKUP" lookup --db "$DB" A1 2>&1 >/dev/null || true)
check_contains "pricelane lookup refuses version 1" "$err" "pricelane-load migrate"
err=$("$LOAD" apply --db "$DB" --quiet "$V1/batch1.csv" 2>&1 || true)
check_eq "pricelane-load apply refuses version 1" "$err" \
    "pricelane-load: $DB: catalogue of another schema version (this pricelane-load uses 2): an older one is upgraded by pricelane-load migrate --db $DB"
err=$(timeout 20 "$BIN/pricelaned" --db "$DB" --listen 127.0.0.1:0 --admin off 2>&1 || true)
check_contains "pricelaned refuses version 1" "$err" "pricelane-load migrate --db DIR"
if cmp -s "$DB/data.mdb" "$V1/data.mdb"; then ok "refusals wrote nothing"; else bad "a refusal changed the version 1 catalogue"; fi
check_eq "no database was created by a refusal" "$(mdb_dump -l -p "$DB" 2>/dev/null | wc -l)" \
    "$(cp -r "$V1" "$T/pristine" && mdb_dump -l "$T/pristine" | wc -l)"

# Migrate.
out=$("$LOAD" migrate --db "$DB")
check_eq "migrate reports" "$out" "$DB: schema version 1 migrated to 2 (backup of version 1 in $DB.schema-1)"
dump "$DB.schema-1" "$T/bak.dump"
dump "$T/pristine" "$T/orig.dump"
check_files_same "the backup holds the version 1 catalogue" "$T/bak.dump" "$T/orig.dump"
check_eq "the migrated catalogue passes verify" "$("$LOAD" verify --db "$DB" --quiet >/dev/null; echo $?)" 0
check_eq "meta says schema 2" "$(mdb_dump -s meta -p "$DB" | grep -A1 '^ schema$' | tail -1)" ' \02\00\00\00\00\00\00\00'

# Answers like a catalogue built now from the same rows.
base_catalogue "$T/new"
"$LOAD" apply --db "$T/new" --quiet --now "$NOW1" "$V1/batch1.csv"
snapshot "$DB" "$T/migrated.snap"
snapshot "$T/new" "$T/new.snap"
check_files_same "migrated answers, history and labels = a new catalogue's" "$T/migrated.snap" "$T/new.snap"

out=$("$LOAD" migrate --db "$DB")
check_eq "a second migrate has nothing to do" "$out" "$DB: schema version 2 is current, nothing to do"
printf 'batch,op,sku,price\nafter-migrate,price,A1,3.20\n' >"$T/b2.csv"
"$LOAD" apply --db "$DB" --quiet --now "$NOW2" "$T/b2.csv"
check_eq "a batch applies after the migration" "$(field "$(answer "$DB" A1 --at "$NOW3")" price)" 320
err=$("$LOAD" migrate --db "$T/none" 2>&1 || true)
check_eq "migrate without a catalogue" "$err" "pricelane-load migrate: $T/none: no catalogue here"
finish
