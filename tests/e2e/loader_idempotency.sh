#!/usr/bin/env bash
# Batch ids make re-application a no-op: the same id with the same content is
# "already applied" (exit 0, generation unchanged, catalogue unchanged); the
# same id with other content is refused (exit 1, nothing changed).
source "$(dirname "$0")/lib/loader.bash"

DB=$T/db
base_catalogue "$DB"

cat >"$T/2026-03-03-0001.csv" <<'EOF'
op,sku,price,start
price,A1,3.30,
price,A2,7.50,2026-03-10 00:00
EOF
run "$LOAD" apply --db "$DB" --now "$NOW1" "$T/2026-03-03-0001.csv"
check_eq "first apply exits 0" "$RC" 0
check_contains "first apply names the batch (file name without extension)" "$OUT" "applied batch 2026-03-03-0001"
g1=$(gen "$DB")
check_eq "generation after the first apply" "$g1" 2
snapshot "$DB" "$T/snap1"
have_mdb_dump && dump "$DB" "$T/dump1"

run "$LOAD" apply --db "$DB" --now "$NOW1" "$T/2026-03-03-0001.csv"
check_eq "same id, same content: exit 0" "$RC" 0
check_contains "same id, same content: says already applied" "$OUT" "already applied"
check_eq "same id, same content: generation unchanged" "$(gen "$DB")" "$g1"

# Later, after the scheduled price took effect: the rows would no longer be
# accepted (a start in the past), yet the batch is recognized as applied.
run "$LOAD" apply --db "$DB" --now "$NOW3" "$T/2026-03-03-0001.csv"
check_eq "re-applied after its scheduled instant passed: exit 0" "$RC" 0
check_contains "re-applied after its scheduled instant passed: already applied" "$OUT" "already applied"

# The same content under another file name with a batch column naming the id.
{
    echo "op,batch,sku,price"
    echo "price,B-7,A3,49.00"
} >"$T/first.csv"
cp "$T/first.csv" "$T/copy-of-first.csv"
run "$LOAD" apply --db "$DB" --now "$NOW1" "$T/first.csv"
check_eq "batch column: applied" "$RC" 0
check_contains "batch column: the id is the column's value" "$OUT" "batch B-7"
g2=$(gen "$DB")
run "$LOAD" apply --db "$DB" --now "$NOW2" "$T/copy-of-first.csv"
check_eq "batch column, other file name, same content: exit 0" "$RC" 0
check_contains "batch column, other file name, same content: already applied" "$OUT" "already applied"
check_eq "generation unchanged" "$(gen "$DB")" "$g2"

snapshot "$DB" "$T/snap2"
have_mdb_dump && dump "$DB" "$T/dump2"

# Same id, other content: refused, nothing changes.
cat >"$T/2026-03-03-0001.csv" <<'EOF'
op,sku,price,start
price,A1,3.90,
EOF
run "$LOAD" apply --db "$DB" --now "$NOW2" "$T/2026-03-03-0001.csv"
check_eq "same id, other content: exit 1" "$RC" 1
check_contains "same id, other content: says why" "$OUT" "applied before (generation 2) with other content"
check_contains "same id, other content: and that nothing was applied" "$OUT" "nothing of it was applied"
check_eq "same id, other content: generation unchanged" "$(gen "$DB")" "$g2"
snapshot "$DB" "$T/snap3"
check_files_same "same id, other content: lookups, history and labels unchanged" "$T/snap2" "$T/snap3"
if have_mdb_dump; then
    dump "$DB" "$T/dump3"
    check_files_same "same id, other content: every record unchanged (mdb_dump)" "$T/dump2" "$T/dump3"
fi

# Other content with bad rows under an applied id: the conflict is what is
# reported (the ledger is read before any row).
{
    echo "op,batch,sku,price"
    echo "price,B-7,NOPE,1.00"
} >"$T/third.csv"
run "$LOAD" apply --db "$DB" --now "$NOW2" "$T/third.csv"
check_eq "applied id with other (bad) content: exit 1" "$RC" 1
check_contains "applied id with other (bad) content: the conflict is reported" "$OUT" "other content"

# A batch id that first appears on a later row: a ledger record under the
# file's name is not this batch (it applies as the id its rows give), while
# the same bytes again are still recognized as applied.
printf 'op,sku,price\nprice,A3,48.50\n' >"$T/late.csv"
run "$LOAD" apply --db "$DB" --now "$NOW2" "$T/late.csv"
check_eq "batch 'late' from the file name: applied" "$RC" 0
printf 'op,batch,sku,price\nprice,,A3,48.40\nprice,L-2,A3,48.30\n' >"$T/late.csv"
run "$LOAD" apply --db "$DB" --now "$NOW2" "$T/late.csv"
check_eq "same file name, the batch id on row 3: applied, not a conflict" "$RC" 0
check_contains "same file name, the batch id on row 3: as batch L-2" "$OUT" "applied batch L-2"
run "$LOAD" apply --db "$DB" --now "$NOW3" "$T/late.csv"
check_contains "same bytes again: already applied" "$OUT" "batch L-2 already applied"
cat >"$T/late2.jsonl" <<'EOF2'
{"op":"price","sku":"A3","price":"48.20","start":"2026-03-10 00:00"}
EOF2
run "$LOAD" apply --db "$DB" --now "$NOW2" "$T/late2.jsonl"
check_eq "JSON Lines without a batch id, scheduled price: applied" "$RC" 0
run "$LOAD" apply --db "$DB" --now "$NOW3" "$T/late2.jsonl"
check_eq "JSON Lines without a batch id, after its instant: exit 0" "$RC" 0
check_contains "JSON Lines without a batch id, after its instant: already applied" "$OUT" "already applied"

# Several files: each its own batch; an already applied one in between is skipped.
g3=$(gen "$DB")
printf 'op,sku,price\nprice,A4,61.00\n' >"$T/m1.csv"
printf 'op,sku,price\nprice,A4,62.00\n' >"$T/m2.csv"
run "$LOAD" apply --db "$DB" --now "$NOW2" "$T/m1.csv" "$T/first.csv" "$T/m2.csv"
check_eq "three files, one already applied: exit 0" "$RC" 0
check_eq "three files: two new generations" "$(gen "$DB")" $((g3 + 2))
check_contains "three files: the middle one already applied" "$OUT" "batch B-7 already applied"
check_eq "three files: the last price is in force" "$(field "$(answer "$DB" A4 --at "$NOW3")" price)" 6200

run "$LOAD" verify --db "$DB"
check_eq "verify: exit 0" "$RC" 0
finish
