#!/usr/bin/env bash
# prune's invariants. A catalogue lives 60 days (NOW0 on): A1's price
# changes every 5 days, A4's zone price twice, a price is scheduled for the
# future, label jobs are printed, superseded and left pending. pruned with
# --keep-days 14 at day 60, it must answer exactly as before at every
# instant from 7 days before the prune on (price, promo, prev_price,
# low_7d, labels: the snapshot's lookups, at many instants, chain-wide and
# per store, member or not; the generation aside, which the prune moves on),
# keep every pending job, the future price and
# the last batch, pass verify, remove what it reports (counted in mdb_dump),
# and be recorded in the ledger. Refusals (--keep-days 6) change nothing.
source "$(dirname "$0")/lib/loader.bash"
have_mdb_dump || { echo "mdb_dump missing (lmdb-utils)"; exit 1; }
DB=$T/db
base_catalogue "$DB"
t0=$(date -d "$NOW0" +%s)
day=86400
prices=(3.10 3.20 3.30 3.40 3.50 3.60 3.70 3.80 3.90 4.00 4.10 4.20)
for i in "${!prices[@]}"; do
    at=$((t0 + (i + 1) * 5 * day))
    printf 'batch,op,sku,zone,price,start\nd%02d,price,A1,,%s,\n' "$i" "${prices[$i]}" >"$T/d$i.csv"
    [ "$i" = 3 ] && printf 'd%02d,price,A4,Z1,57.00,\n' "$i" >>"$T/d$i.csv"
    [ "$i" = 9 ] && printf 'd%02d,price,A4,Z1,56.00,\n' "$i" >>"$T/d$i.csv"
    "$LOAD" apply --db "$DB" --quiet --now "@$at" "$T/d$i.csv"
    # print the labels of every other batch (the rest are superseded or pending)
    if [ $((i % 2)) = 0 ] && [ "$i" -lt 10 ]; then
        "$LOAD" labels ack --db "$DB" --now "@$((at + 3600))" --batch "d$(printf %02d "$i")" >/dev/null
    fi
done
tp=$((t0 + 60 * day + 7200)) # the prune's now
future=$((tp + 30 * day))
printf 'batch,op,sku,price,start\nsched,price,A2,9.00,%s\n' "$(date -u -d "@$future" +%Y-%m-%dT%H:%M:%SZ)" >"$T/sched.csv"
"$LOAD" apply --db "$DB" --quiet --now "@$((tp - 3600))" "$T/sched.csv"

# What lanes and clerks see from 7 days before the prune on.
view() { # DB OUT
    local at store
    for at in $((tp - 7 * day)) $((tp - 3 * day)) $((tp - 1)) "$tp" $((tp + day)) "$future" $((future + day)); do
        for store in "" S1 S3; do
            "$LOOKUP" lookup --db "$1" --at "@$at" ${store:+--store "$store"} "${CODES[@]}" || true
            "$LOOKUP" lookup --db "$1" --at "@$at" --member ${store:+--store "$store"} "${CODES[@]}" || true
        done
    done 2>&1 | sed 's/"gen":[0-9]*,//' >"$2" # the prune's own generation aside
    "$LOAD" labels list --db "$1" >>"$2" 2>&1 || true
}
view "$DB" "$T/before.view"
rows() { mdb_dump -s "$2" -p "$1" | sed -n '/^HEADER=END$/,/^DATA=END$/p' | grep -c '^ ' | awk '{ print $1 / 2 }'; }
p0=$(rows "$DB" prices); j0=$(rows "$DB" ljobs); b0=$(rows "$DB" batches)
pend0=$("$LOAD" labels list --db "$DB" | wc -l)

# Refused: too short a window.
dump "$DB" "$T/d0"
err=$("$LOAD" prune --db "$DB" --keep-days 6 --now "@$tp" 2>&1 || true)
check_eq "--keep-days 6 refused" "$err" \
    "pricelane-load prune: --keep-days: '6' is out of range: expected a whole number of days (7 to 36500: low_7d and prev_price look 7 days back)"
dump "$DB" "$T/d1"
check_files_same "a refused prune changes nothing" "$T/d0" "$T/d1"

out=$("$LOAD" prune --db "$DB" --keep-days 14 --now "@$tp")
check_match "prune reports what it removed" "$out" 'pruned history before 14 days: [1-9][0-9]* price rows, [1-9][0-9]* label jobs, [1-9][0-9]* ledger records removed'
np=$(sed -n 's/.*: \([0-9]*\) price rows, \([0-9]*\) label jobs, \([0-9]*\) ledger.*/\1 \2 \3/p' <<<"$out")
read -r dp dj db <<<"$np"
check_eq "price rows removed = counted" "$(rows "$DB" prices)" "$((p0 - dp))"
check_eq "label jobs removed = counted" "$(rows "$DB" ljobs)" "$((j0 - dj))"
check_eq "ledger records removed = counted, plus the prune's own" "$(rows "$DB" batches)" "$((b0 - db + 1))"
view "$DB" "$T/after.view"
check_files_same "answers and pending labels from 7 days before the prune on are unchanged" "$T/before.view" "$T/after.view"
check_eq "pending jobs all kept" "$("$LOAD" labels list --db "$DB" | wc -l)" "$pend0"
check_eq "verify after the prune" "$("$LOAD" verify --db "$DB" --quiet >/dev/null; echo $?)" 0
check_match "the future price kept" "$(field "$(answer "$DB" A2 --at "@$((future + 1))")" price)" '^900$'
check_match "the prune is in the ledger" "$(mdb_dump -s batches -p "$DB")" "prune@$tp"
check_eq "the last batch before it kept" "$(mdb_dump -s batches -p "$DB" | grep -c '^ sched$')" 1
h=$("$LOAD" history --db "$DB" --at "@$tp" A1)
check_contains "A1's history keeps the row in force at the cutoff" "$h" "3.90"
check_not_contains "A1's history lost rows older than that" "$h" "3.50"
out=$("$LOAD" prune --db "$DB" --keep-days 14 --now "@$tp")
check_match "a second prune at the same instant removes nothing" "$out" ': 0 price rows, 0 label jobs, 0 ledger records removed'

# verify checks what prune keeps: a copy whose A1 lost every price row (made
# with mdb_dump and mdb_load, as no loader would) is reported.
mdb_dump -a "$DB" | awk '/^database=/ { inp = ($0 == "database=prices") } inp && /^ 413100/ { skip = 1; next } skip { skip = 0; next } 1' >"$T/cut.dump"
mkdir "$T/cut" && mdb_load -f "$T/cut.dump" "$T/cut" 2>"$T/load.err"
out=$("$LOAD" verify --db "$T/cut" 2>&1 || true)
check_contains "verify reports an item whose price rows are gone" "$out" \
    'labels: label of item A1 scope "": the item has no price row (its price in force was removed)'
finish
