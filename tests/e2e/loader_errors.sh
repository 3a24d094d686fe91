#!/usr/bin/env bash
# Bad input gets a precise error and changes nothing: every bad row of a
# batch is listed as file:line:column: reason (not only the first), the
# loader exits 1, and the catalogue is exactly as before (lookups, history,
# label queue, and every record per mdb_dump).
source "$(dirname "$0")/lib/loader.bash"

DB=$T/db
base_catalogue "$DB"
snapshot "$DB" "$T/before"
have_mdb_dump && dump "$DB" "$T/before.dump"
g0=$(gen "$DB")

unchanged() { # WHAT
    snapshot "$DB" "$T/after"
    check_files_same "$1: lookups, history and label queue unchanged" "$T/before" "$T/after"
    if have_mdb_dump; then
        dump "$DB" "$T/after.dump"
        check_files_same "$1: every record unchanged" "$T/before.dump" "$T/after.dump"
    fi
}

refused() { # WHAT FILE EXPECTED-LINE...
    local what=$1 file=$2
    shift 2
    run "$LOAD" apply --db "$DB" --now "$NOW1" "$file"
    check_eq "$what: exit 1" "$RC" 1
    local want
    for want in "$@"; do
        check_contains "$what: reports '$want'" "$OUT" "$want"
    done
    check_contains "$what: says nothing was applied" "$OUT" "nothing of it was applied"
}

# ---- one file, every kind of bad row, and one good row -----------------------
long_name=$(printf '名%.0s' $(seq 41)) # 41 CJK characters: 123 bytes, the limit is 120
F=$T/bad.csv
{
    echo "op,sku,barcode,name,price,start,end,promo,kind,items"
    echo "price,NOPE,,,1.00,,,,,"
    echo "frobnicate,A1,,,,,,,,"
    echo "price,A1,,,12.3.4,,,,,"
    echo "price,A1,,,-1.00,,,,,"
    echo "promo,,,,1.00,2026-05-01,2026-04-01,PX,special,A1"
    echo "barcode,A1,$BC_A2,,,,,,,"
    printf 'item,A1,,bad \xff\xfe name,,,,,,\n'
    echo "item,A1,,$long_name,,,,,,"
    echo "price,A1,,,abc,,,,,"
    echo "price,A1,,,1.001,,,,,"
    echo "price,A1,,,1.00,,,,,"
} >"$F"
refused "every bad row" "$F" \
    "$F:2:sku: unknown item NOPE" \
    "$F:3:op: unknown operation \"frobnicate\"" \
    "$F:4:price: \"12.3.4\" is not an amount of money" \
    "$F:5:price: \"-1.00\" is negative" \
    "$F:6:end: the window ends" \
    "$F:7:barcode: $(printf '%014d' "$BC_A2") already belongs to item A2" \
    "$F:8:name: invalid UTF-8" \
    "$F:9:name: 123 bytes, longer than 120" \
    "$F:10:price: \"abc\" is not an amount of money" \
    "$F:11:price: \"1.001\" has more than 2 decimals"
n_listed=$(grep -c "^$F:" <<<"$OUT" || true)
check_eq "every bad row: ten rows listed, the good one not" "$n_listed" 10
check_contains "every bad row: the count" "$OUT" "10 problems"
check_eq "every bad row: generation unchanged" "$(gen "$DB")" "$g0"
unchanged "every bad row"

# ---- each error alone ------------------------------------------------------------
one() { # NAME HEADER ROW EXPECTED
    local f=$T/$1.csv
    printf '%s\n%s\n' "$2" "$3" >"$f"
    refused "$1" "$f" "$f:2:$4"
}
one unknown_item "op,sku,price" "price,ZZ9,1.00" "sku: unknown item ZZ9"
one unknown_op "op,sku" "explode,A1" "op: unknown operation"
one in_store_barcode "op,sku,barcode" "barcode,A1,2112345007502" \
    "barcode: \"2112345007502\" is an in-store code (prefix 02, 20-29), not a GTIN"
one in_store_barcode_upca "op,sku,barcode" "barcode,A1,212345678909" \
    "barcode: \"212345678909\" is an in-store code"
one in_store_barcode_move "op,sku,barcode" "barcode_move,A1,2012345019959" \
    "barcode: \"2012345019959\" is an in-store code"
one missing_op "op,sku,price" ",A1,1.00" "op: missing"
one ident_bad_byte "op,sku,price" "price,A 1,1.00" "sku: \"A 1\": byte 2 is not a letter, a digit, '-', '_' or '.'"
one ident_too_long "op,sku,price" "price,$(printf 'S%.0s' $(seq 41)),1.00" \
    "sku: \"$(printf 'S%.0s' $(seq 40))...\" is 41 bytes, longer than 32"
one lot_bad_byte "op,recall,sku,lot,text" "recall,R1,A1,L 1,recalled" \
    "lot: \"L 1\": byte 2 is not a GS1 character (AI 10)"
one lot_too_long "op,recall,sku,lot,text" "recall,R1,A1,ABCDEFGHIJKLMNOPQRSTU,recalled" \
    "lot: \"ABCDEFGHIJKLMNOPQRSTU\" is 21 bytes, longer than 20"
one bad_number "op,sku,pack_qty" "item,A1,six" "pack_qty: \"six\" is not a whole number"
one negative_price "op,sku,price" "price,A1,-0.01" "price: \"-0.01\" is negative"
one window_end_before_start "op,promo,kind,items,price,start,end" \
    "promo,PZ,flyer,A1,1.00,2026-04-02 00:00,2026-04-01 00:00" "end: the window ends"
one window_empty "op,promo,kind,items,price,start,end" \
    "promo,PZ,flyer,A1,1.00,2026-04-01 00:00,2026-04-01 00:00" "end: the window ends"
one barcode_on_other_item "op,sku,barcode" "barcode,A3,$BC_A1" "barcode: 0$BC_A1 already belongs to item A1"
one unknown_zone "op,sku,price,zone" "price,A1,1.00,ZX" "zone: unknown zone ZX"
one unknown_store "op,sku,price,store" "price,A1,1.00,SX" "store: unknown store SX"
one past_start "op,sku,price,start" "price,A1,1.00,2026-01-01 00:00" "start: in the past"
one bad_time "op,sku,price,start" "price,A1,1.00,2026-02-30 00:00" "start: \"2026-02-30 00:00\" is not a valid time"
one bad_check_digit "op,sku,barcode" "barcode,A1,6901234560016" "barcode: \"6901234560016\""
one unknown_promo "op,promo" "promo_cancel,NOPROMO" "promo: unknown promotion NOPROMO"
one promo_unknown_item "op,promo,kind,items,price,start,end" \
    "promo,PZ,flyer,A1|GHOST,1.00,2026-04-01 00:00,2026-04-02 00:00" "items: unknown item GHOST"
one promo_bad_kind "op,promo,kind,items,price,start,end" \
    "promo,PZ,bogus,A1,1.00,2026-04-01 00:00,2026-04-02 00:00" "kind: \"bogus\": expected special"
one remove_foreign_barcode "op,sku,barcode" "barcode_remove,A3,$BC_A1" "barcode: 0$BC_A1 belongs to item A1, not A3"

printf 'op,sku,name\nitem,A1,bad \xc3\x28 utf8\n' >"$T/utf8.csv"
refused "invalid UTF-8" "$T/utf8.csv" "$T/utf8.csv:2:name: invalid UTF-8"
{
    printf 'op,sku,name\nitem,A1,'
    head -c 1100 /dev/zero | tr '\0' x
    printf '\n'
} >"$T/long.csv"
refused "over-long field" "$T/long.csv" "$T/long.csv:2:name: value is 1100 bytes long; the limit is 1024 bytes"
printf 'op,sku,price,colour\nprice,A1,1.00,red\n' >"$T/column.csv"
refused "unknown column" "$T/column.csv" "$T/column.csv:1: unknown column \"colour\""
printf 'op,sku,price\nprice,A1,"1.00\n' >"$T/quote.csv"
refused "unclosed quote" "$T/quote.csv" "$T/quote.csv:2: quoted field not closed"

# ---- JSON Lines: the same precision ---------------------------------------------
J=$T/bad.jsonl
cat >"$J" <<'EOF'
{"op":"price","sku":"A1","price":"2.00"}
{"op":"price","sku":"NOPE","price":"2.00"}
{"op":"price","sku":"A1","price":-5}
{"op":"price","sku":"A1","colour":"red"}
{"op":"price","sku":"A1",
{"op":"price","sku":["A1"],"price":"1.00"}
EOF
refused "JSON Lines" "$J" \
    "$J:2:sku: unknown item NOPE" \
    "$J:3:price: \"-5\" is negative" \
    "$J:4: unknown column \"colour\"" \
    "$J:5: invalid JSON" \
    "$J:6:sku: is a JSON array"

check_eq "after every refused batch: generation unchanged" "$(gen "$DB")" "$g0"
unchanged "after every refused batch"

# ---- apply with several files: a bad one stops there; earlier ones stay ----------
printf 'op,sku,price\nprice,A1,3.10\n' >"$T/good1.csv"
run "$LOAD" apply --db "$DB" --now "$NOW1" "$T/good1.csv" "$T/unknown_item.csv" "$T/negative_price.csv"
check_eq "good, bad, bad: exit 1" "$RC" 1
check_contains "good, bad, bad: the good one applied" "$OUT" "applied batch good1"
check_contains "good, bad, bad: the later one not attempted" "$OUT" "1 later file not attempted"
check_eq "good, bad, bad: one generation more" "$(gen "$DB")" $((g0 + 1))

run "$LOAD" apply --db "$DB" "$T/does-not-exist.csv"
check_eq "missing file: exit 1" "$RC" 1
check_contains "missing file: says so" "$OUT" "does-not-exist.csv: cannot open"
run "$LOAD" apply --db "$T/nowhere" "$T/good1.csv"
check_eq "no catalogue: exit 1" "$RC" 1
check_contains "no catalogue: says so" "$OUT" "no catalogue here"

run "$LOAD" verify --db "$DB"
check_eq "verify: exit 0" "$RC" 0
finish
