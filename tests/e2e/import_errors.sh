#!/usr/bin/env bash
# pricelane-load import: a file with many kinds of bad rows is refused as a
# whole, every bad row is listed with file:line:column and why, and the
# catalogue is left exactly as it was.
set -euo pipefail
BIN=${PL_BIN:?}; SRC=${PL_SOURCE_DIR:?}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
check() { checks=$((checks+1)); if grep -qF -- "$2" "$T/err"; then echo "ok   reported: $1"; else echo "FAIL not reported: $1 ($2)"; fails=$((fails+1)); fi; }

"$BIN/pricelane-load" init --db "$T/db" >/dev/null
# The sample is expanded around a fixed day and imported at a fixed instant:
# the snapshots compare answers at one named instant (--at).
python3 "$SRC/tests/e2e/lib/fixture.py" --anchor 2026-11-30 "$SRC/tests/data/small.csv.in" >"$T/small.csv"
"$BIN/pricelane-load" import --db "$T/db" --now 2026-11-25T09:00:00+08:00 "$T/small.csv" >/dev/null
snapshot() { "$BIN/pricelane" lookup --db "$T/db" --at 2026-12-02 6901234567892 6920000000012 036000291452 100002 2>&1 || true; }
snapshot >"$T/before"

printf 'op,sku,name,barcode,price,promo,kind,items,start,end\n' >"$T/bad.csv"
{
  echo 'item,A1,好商品,,1.00,,,,,'                       # line 2: fine
  echo 'item,A2,负价格,,-1.00,,,,,'                       # 3: negative price
  echo 'item,A3,小数,,1.234,,,,,'                         # 4: too many decimals
  echo 'barcode,A1,,6901234567892,,,,,,'                  # 5: barcode on another item
  echo 'barcode,A1,,6901234567893,,,,,,'                  # 6: bad check digit
  echo 'barcode,NOPE,,4006381333931,,,,,,'                # 7: unknown item
  echo 'teleport,A1,,,,,,,,'                              # 8: unknown operation
  echo 'promo,,,,1.00,PX,special,A1,2026-12-02,2026-12-01' # 9: end before start
  printf 'item,A4,\xff\xfe,,1.00,,,,,\n'                  # 10: invalid UTF-8
  echo "item,A5,$(printf 'x%.0s' $(seq 1 300)),,1.00,,,,," # 11: over-long name
  echo 'item,A1,重复,,2.00,,,,,,'                          # 12: wrong field count
  echo 'item,A1,重复商品,,2.00,,,,,'                       # 13: duplicate item
} >>"$T/bad.csv"
printf 'op,sku,colour\nitem,A9,red\n' >"$T/badcol.csv"

set +e
"$BIN/pricelane-load" import --db "$T/db" "$T/bad.csv" "$T/badcol.csv" >"$T/out" 2>"$T/err"; rc=$?
set -e
cat "$T/err"
checks=$((checks+1))
[ $rc = 1 ] && echo "ok   import refused with exit 1" || { echo "FAIL exit $rc"; fails=$((fails+1)); }
check "negative price"        "bad.csv:3:price:"
check "too many decimals"     "bad.csv:4:price:"
check "barcode on two items"  "bad.csv:5:barcode: 06901234567892 already belongs to item 100001"
check "wrong check digit"     "bad.csv:6:barcode:"
check "unknown item"          "bad.csv:7:sku: unknown item NOPE"
check "unknown operation"     "bad.csv:8:op: unknown operation \"teleport\""
check "window end before start" "bad.csv:9:end:"
check "invalid UTF-8"         "bad.csv:10:name:"
check "over-long field"       "bad.csv:11:name:"
check "wrong field count"     "bad.csv:12"
check "duplicate item"        "bad.csv:13:sku: duplicate item A1: already defined on line 2"
check "unknown column"        'badcol.csv:1: unknown column "colour"'
check "nothing applied"       "nothing of it was applied"
snapshot >"$T/after"
checks=$((checks+1))
if cmp -s "$T/before" "$T/after"; then echo "ok   catalogue unchanged"; else echo "FAIL catalogue changed"; diff "$T/before" "$T/after"; fails=$((fails+1)); fi
echo "import_errors: $checks checks, $fails failed"
[ $fails = 0 ]
