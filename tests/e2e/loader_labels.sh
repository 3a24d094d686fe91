#!/usr/bin/env bash
# The shelf-label reprint queue: change → job → list/export → ack → answers
# show the new label price and no pending reprint; scheduled prices and
# promotion starts and ends make jobs due at their instants; a later change
# supersedes a job not yet printed; acking an unknown, acked, superseded or
# not yet due job is an error that acks nothing.
source "$(dirname "$0")/lib/loader.bash"

DB=$T/db
base_catalogue "$DB"

apply() { # FILE NOW
    run "$LOAD" apply --db "$DB" --now "$2" "$1"
    [ "$RC" = 0 ] || {
        bad "apply $(basename "$1"): $OUT"
        return 0
    }
}
# jobs_csv [export options] → the export, pending jobs
jobs_csv() { "$LOAD" labels export --db "$DB" "$@"; }
# job SKU REASON [SCOPE] → id of the pending job (empty when none)
job() {
    jobs_csv | python3 -c 'import csv,sys
sku,reason=sys.argv[1],sys.argv[2]
scope=sys.argv[3] if len(sys.argv)>3 else ""
for r in csv.DictReader(sys.stdin):
    if r["sku"]==sku and r["reason"]==reason and r["scope"]==scope: print(r["job"])' "$@"
}
# jobcol ID COLUMN → a column of the exported job
jobcol() {
    jobs_csv | python3 -c 'import csv,sys
for r in csv.DictReader(sys.stdin):
    if r["job"]==sys.argv[1]: print(r[sys.argv[2]])' "$1" "$2"
}
at() { field "$(answer "$DB" "$1" --at "$2" ${4:+--store "$4"})" "$3"; }

# ---- a price change: job, export, ack ---------------------------------------------
printf 'op,sku,price\nprice,A1,3.50\n' >"$T/p1.csv"
apply "$T/p1.csv" "$NOW1"
J1=$(job A1 price)
check_match "price change: one chain job for A1" "$J1" '^[0-9]+$'
check_eq "price change: job price" "$(jobcol "$J1" price)" 3.50
check_eq "price change: job old price (the shelf label)" "$(jobcol "$J1" old_price)" 3.00
check_eq "price change: job due at the commit instant" "$(jobcol "$J1" due)" "$NOW1"
check_eq "price change: job gtin (primary barcode)" "$(jobcol "$J1" gtin)" "0$BC_A1"
check_eq "price change: job unit price per litre" "$(jobcol "$J1" unit_price)/$(jobcol "$J1" unit_basis)" "10.61/l"
check_eq "price change: job batch" "$(jobcol "$J1" batch)" p1
check_eq "before ack: answer label_price is the old shelf price" "$(at A1 "$NOW1" label_price)" 300
check_eq "before ack: label_pending" "$(at A1 "$NOW1" label_pending)" true
check_eq "before ack: price is already the new one" "$(at A1 "$NOW1" price)" 350

run "$LOAD" labels list --db "$DB"
check_contains "labels list: shows the job" "$OUT" "可口可乐 330ml"
check_contains "labels list: and the count" "$OUT" "pending label job"
run "$LOAD" labels list --db "$DB" --due-before "$NOW0"
check_not_contains "labels list --due-before NOW0: not the job due later" "$OUT" "可口可乐"

# Export: header, quoting, decimals.
printf 'op,sku,name,price\nitem,B1,"水, ""特级"" 550ml",2.00\n' >"$T/p2.csv"
apply "$T/p2.csv" "$NOW1"
jobs_csv --output "$T/labels.csv" >/dev/null 2>&1
check_eq "export header" "$(head -1 "$T/labels.csv" | tr -d '\r')" \
    "job,due,level,scope,sku,gtin,name,unit,price,unit_price,unit_basis,promo_text,promo_ends,old_price,reason,batch"
name=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["sku"]=="B1": print(r["name"])' "$T/labels.csv")
check_eq "export: a name with a comma and quotes survives RFC 4180 quoting" "$name" '水, "特级" 550ml'
check_contains "export: the quoted field on the wire" "$(cat "$T/labels.csv")" '"水, ""特级"" 550ml"'
check_eq "export: lines end in CRLF" "$(head -1 "$T/labels.csv" | tail -c 2 | od -An -tx1 | tr -d ' \n')" 0d0a
check_eq "export --output leaves no temporary file" "$(ls "$T" | grep -c 'labels.csv.tmp' || true)" 0
run "$LOAD" labels export --db "$DB" --format pdf
check_eq "export --format pdf: usage error" "$RC" 2

g=$(gen "$DB")
run "$LOAD" labels ack --db "$DB" --now "$NOW1" "$J1"
check_eq "ack: exit 0" "$RC" 0
check_contains "ack: says so" "$OUT" "acked 1 label job"
check_eq "after ack: answer label_price is the printed price" "$(at A1 "$NOW1" label_price)" 350
check_eq "after ack: label_pending false" "$(at A1 "$NOW1" label_pending)" false
check_eq "after ack: generation + 1 (cached answers of the old one are misses)" "$(gen "$DB")" $((g + 1))
check_eq "after ack: the job is no longer pending" "$(job A1 price)" ""

run "$LOAD" labels ack --db "$DB" --now "$NOW1" "$J1"
check_eq "ack twice: exit 1" "$RC" 1
check_contains "ack twice: names the job" "$OUT" "job $J1: already acked at $NOW1"
run "$LOAD" labels ack --db "$DB" 99999
check_eq "ack unknown: exit 1" "$RC" 1
check_contains "ack unknown: names the job" "$OUT" "job 99999: no such label job"
JB=$(job B1 new)
run "$LOAD" labels ack --db "$DB" --now "$NOW1" "$JB" 99999
check_eq "ack a good and an unknown job: exit 1" "$RC" 1
check_contains "ack a good and an unknown job: nothing acked" "$OUT" "nothing was acked"
check_eq "ack a good and an unknown job: the good one is still pending" "$(job B1 new)" "$JB"
run "$LOAD" labels ack --db "$DB" abc
check_eq "ack abc: usage error" "$RC" 2
run "$LOAD" labels ack --db "$DB"
check_eq "ack without jobs: usage error" "$RC" 2

# ---- supersede: a second change before the first label is printed --------------
printf 'op,sku,price\nprice,A2,7.00\n' >"$T/s1.csv"
apply "$T/s1.csv" "$NOW1"
JS1=$(job A2 price)
printf 'op,sku,price\nprice,A2,7.50\n' >"$T/s2.csv"
apply "$T/s2.csv" "$NOW2"
JS2=$(job A2 price)
check_eq "supersede: one pending job left for A2" "$(wc -w <<<"$JS2")" 1
check_eq "supersede: it is the new one" "$(jobcol "$JS2" price)" 7.50
check_eq "supersede: its old price is still the shelf's (8.00)" "$(jobcol "$JS2" old_price)" 8.00
run "$LOAD" labels ack --db "$DB" --now "$NOW2" "$JS1"
check_eq "ack a superseded job: exit 1" "$RC" 1
check_contains "ack a superseded job: says superseded" "$OUT" "job $JS1: superseded"
run "$LOAD" labels list --db "$DB" --all
check_contains "labels list --all: shows the superseded job" "$OUT" "superseded"
printf 'op,sku,price\nprice,A2,8.00\n' >"$T/s3.csv"
apply "$T/s3.csv" "$NOW2"
check_eq "back to the shelf price: no job left for A2" "$(job A2 price)" ""
check_eq "back to the shelf price: nothing pending in answers" "$(at A2 "$NOW2" label_pending)" false

# ---- scheduled price: a job due at its instant ----------------------------------
printf 'op,sku,price,start\nprice,A4,65.00,2026-03-10 00:00\n' >"$T/sch.csv"
apply "$T/sch.csv" "$NOW1"
JSCH=$(job A4 scheduled)
check_eq "scheduled: job due at the price's instant" "$(jobcol "$JSCH" due)" "2026-03-10T00:00:00+08:00"
check_eq "scheduled: job price" "$(jobcol "$JSCH" price)" 65.00
check_eq "scheduled: job old price" "$(jobcol "$JSCH" old_price)" 60.00
check_eq "scheduled: not pending in answers before its instant" "$(at A4 "$NOW2" label_pending)" false
check_eq "scheduled: pending in answers from its instant" "$(at A4 2026-03-10T00:00:00+08:00 label_pending)" true
run "$LOAD" labels ack --db "$DB" --now "$NOW2" "$JSCH"
check_eq "ack before due: exit 1" "$RC" 1
check_contains "ack before due: says when it is due" "$OUT" "not due until 2026-03-10T00:00:00+08:00"

# A name change re-issues the pending future job with the new name.
printf 'op,sku,name\nitem,A4,蒙牛 纯牛奶 新装\n' >"$T/ren.csv"
apply "$T/ren.csv" "$NOW2"
JSCH2=$(job A4 scheduled)
check_eq "rename: the future job is re-issued" "$([ -n "$JSCH2" ] && [ "$JSCH2" != "$JSCH" ] && echo yes)" yes
check_eq "rename: with the new name" "$(jobcol "$JSCH2" name)" "蒙牛 纯牛奶 新装"
check_eq "rename: a job now for the new name" "$(jobcol "$(job A4 name)" name)" "蒙牛 纯牛奶 新装"
printf 'op,sku,pack_qty\nitem,A3,2\n' >"$T/pack.csv"
apply "$T/pack.csv" "$NOW2"
check_match "pack quantity change: a job with reason pack_qty" "$(job A3 pack_qty)" '^[0-9]+$'

run "$LOAD" labels ack --db "$DB" --now 2026-03-10T08:00:00+08:00 "$JSCH2"
check_eq "ack after due: exit 0" "$RC" 0
check_eq "ack after due: label price" "$(at A4 2026-03-10T08:00:00+08:00 label_price)" 6500

# ---- promotion: a job at its start and one at its end -------------------------
printf 'op,promo,kind,items,price,start,end,text\npromo,P9,flyer,A1,2.50,2026-03-05 00:00,2026-03-07 00:00,周末惊爆\n' >"$T/pr.csv"
apply "$T/pr.csv" "$NOW2"
JPS=$(job A1 promo_start)
JPE=$(job A1 promo_end)
check_eq "promo: start job due at the start" "$(jobcol "$JPS" due)" "2026-03-05T00:00:00+08:00"
check_eq "promo: start job price" "$(jobcol "$JPS" price)" 2.50
check_eq "promo: start job text" "$(jobcol "$JPS" promo_text)" "周末惊爆"
check_eq "promo: start job promo end" "$(jobcol "$JPS" promo_ends)" "2026-03-07T00:00:00+08:00"
check_eq "promo: end job due at the end" "$(jobcol "$JPE" due)" "2026-03-07T00:00:00+08:00"
check_eq "promo: end job price back to regular" "$(jobcol "$JPE" price)" 3.50
check_eq "promo: end job old price is the promo price" "$(jobcol "$JPE" old_price)" 2.50
run "$LOAD" labels list --db "$DB" --due-before 2026-03-06T00:00:00+08:00
check_contains "list --due-before: the start job" "$OUT" "周末惊爆"
check_not_contains "list --due-before: not the end job" "$OUT" "promo_end  pr"
# The bound: --due-by includes a job due at that very instant (the flyer
# that starts at opening), --due-before does not.
run "$LOAD" labels export --db "$DB" --due-by 2026-03-05T00:00:00+08:00
check_contains "export --due-by T: the job due at T" "$OUT" "$JPS,2026-03-05T00:00:00+08:00"
run "$LOAD" labels export --db "$DB" --due-before 2026-03-05T00:00:00+08:00
check_not_contains "export --due-before T: not the job due at T" "$OUT" "$JPS,"
run "$LOAD" labels export --db "$DB" --due-by '2026-03-04 23:59:59'
check_not_contains "export --due-by one second earlier: not the job" "$OUT" "$JPS,"
run "$LOAD" labels export --db "$DB" --due-by 2026-03-05 --due-before 2026-03-05
check_eq "--due-by and --due-before together: usage error" "$RC" 2

# ack --batch: the due jobs of a batch; later ones stay.
run "$LOAD" labels ack --db "$DB" --now 2026-03-05T07:00:00+08:00 --batch pr
check_eq "ack --batch: exit 0" "$RC" 0
check_contains "ack --batch: one acked" "$OUT" "acked 1 label job"
check_contains "ack --batch: one left for later" "$OUT" "1 job of batch pr not due yet"
check_eq "ack --batch: promo price on the label" "$(at A1 2026-03-05T08:00:00+08:00 label_price)" 250
check_eq "ack --batch: end job still pending" "$(job A1 promo_end)" "$JPE"
run "$LOAD" labels ack --db "$DB" --now 2026-03-05T07:00:00+08:00 --batch pr
check_eq "ack --batch again before the end: exit 1" "$RC" 1
check_contains "ack --batch again: says none is due" "$OUT" "no job of batch pr is due yet"
run "$LOAD" labels ack --db "$DB" --batch nosuchbatch
check_eq "ack --batch unknown: exit 1" "$RC" 1
check_contains "ack --batch unknown: says so" "$OUT" "batch nosuchbatch created no label jobs"

# ---- scopes: --store selects the store's, its zone's and the chain's jobs ----------
printf 'op,sku,price,zone,store\nprice,A3,48.00,Z2,\nprice,A3,47.00,,S1\n' >"$T/sc.csv"
apply "$T/sc.csv" "$NOW2"
run "$LOAD" labels list --db "$DB" --store S3
check_contains "--store S3: the Z2 job" "$OUT" "Z2 "
check_not_contains "--store S3: not S1's job" "$OUT" "S1 "
check_contains "--store S3: chain jobs" "$OUT" "(chain)"
run "$LOAD" labels list --db "$DB" --store S1
check_contains "--store S1: S1's job" "$OUT" "S1 "
check_not_contains "--store S1: not Z2's job" "$OUT" "Z2 "
run "$LOAD" labels export --db "$DB" --store S2
check_not_contains "export --store S2: neither S1 nor Z2" "$OUT" ",S1,"
run "$LOAD" labels list --db "$DB" --store S9
check_eq "--store unknown: exit 1" "$RC" 1
check_contains "--store unknown: says so" "$OUT" "unknown store S9"
run "$LOAD" labels list --db "$DB" --due-before yesterday
check_eq "--due-before yesterday: usage error" "$RC" 2
check_contains "--due-before yesterday: says what it expects" "$OUT" "--due-before \"yesterday\""

# Member prices are not on shelf labels: on a fresh catalogue, member-only
# promotions (the member kind, or any kind with member=true), fixed or
# percent, in force now or later, create no label job, and member lookups
# show no pending label.
MDB=$T/mdb
base_catalogue "$MDB"
jobs_before=$("$LOAD" labels export --db "$MDB" | wc -l)
# (PM4 and PM5 are scoped to a store and a zone whose labels the chain's and
# zone's labels stand for: a member promotion must not make them scopes of
# their own, with jobs at unchanged prices.)
printf 'op,promo,kind,items,price,pct_off,member,start,end,scope\n%s\n%s\n%s\n%s\n%s\n' \
    "promo,PM1,member,A3,40.00,,,2026-03-01 00:00,2026-04-01 00:00," \
    "promo,PM2,member,A4,,10,,2026-03-10 00:00,2026-03-12 00:00," \
    "promo,PM3,special,A2,6.00,,true,2026-03-04 12:00,2026-03-30 00:00," \
    "promo,PM4,member,A4,50.00,,,2026-03-04 00:00,2026-03-30 00:00,store:S1" \
    "promo,PM5,flyer,A1,2.00,,yes,2026-03-04 00:00,2026-03-30 00:00,zone:Z2" >"$T/member.csv"
run "$LOAD" apply --db "$MDB" --now "$NOW1" "$T/member.csv"
check_contains "member promotions: applied with no label job" "$OUT" "0 label jobs"
check_eq "member promotions: the pending queue is unchanged" "$("$LOAD" labels export --db "$MDB" | wc -l)" "$jobs_before"
while read -r sku at_ src; do
    a=$(answer "$MDB" "$sku" --member --at "$at_")
    check_eq "member lookup of $sku: the member price, no pending label" \
        "$(field "$a" source)/$(field "$a" label_pending)" "$src/false"
done <<'EOF'
A3 2026-03-05T00:00:00+08:00 member
A4 2026-03-11T00:00:00+08:00 member
A2 2026-03-05T00:00:00+08:00 special
EOF
for c in "A4 S1 member" "A1 S3 flyer"; do
    read -r sku store src <<<"$c"
    a=$(answer "$MDB" "$sku" --member --store "$store" --at 2026-03-05T00:00:00+08:00)
    check_eq "member lookup of $sku in $store (a scoped member promotion): no pending label" \
        "$(field "$a" source)/$(field "$a" label_pending)" "$src/false"
done
run "$LOAD" verify --db "$MDB"
check_eq "verify after member promotions: exit 0" "$RC" 0

run "$LOAD" verify --db "$DB"
check_eq "verify after the label lifecycle: exit 0" "$RC" 0
finish
