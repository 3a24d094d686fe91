#!/usr/bin/env bash
# pricelane lookup --db: answers for barcodes, keyed codes and scale codes;
# promotion windows (--at before, inside, after); member prices; zone and
# store prices; bad codes. Each check prints what it verified. The
# catalogue's instants are relative to the run's clock (day D is today in the
# catalogue's offset): the import is dated D-5, the flyer runs from D+1 08:00
# to D+8 08:00, and every lookup names its instant with --at.
set -euo pipefail
BIN=${PL_BIN:?}; SRC=${PL_SOURCE_DIR:?}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
field() { python3 -c 'import json,sys; a=json.loads(sys.argv[1]); v=a[sys.argv[2]]; print("null" if v is None else (str(v).lower() if isinstance(v,bool) else v))' "$1" "$2"; }
expect() { # expect DESCRIPTION JSON FIELD VALUE
    checks=$((checks+1)); local got; got=$(field "$2" "$3")
    if [ "$got" = "$4" ]; then echo "ok   $1: $3=$4"; else echo "FAIL $1: $3 got '$got' want '$4'"; echo "     $2"; fails=$((fails+1)); fi
}
look() { "$BIN/pricelane" lookup --db "$T/db" "$@" || true; }

ANCHOR=@$(date +%s)
day() { python3 "$SRC/tests/e2e/lib/fixture.py" --anchor "$ANCHOR" --at "$1"; }
python3 "$SRC/tests/e2e/lib/fixture.py" --anchor "$ANCHOR" "$SRC/tests/data/small.csv.in" >"$T/small.csv"
"$BIN/pricelane-load" init --db "$T/db" >/dev/null
"$BIN/pricelane-load" import --db "$T/db" --now "$(day 'D-5 09:00')" "$T/small.csv" >/dev/null
FLYER_START=$(day 'D+1 08:00') FLYER_END=$(day 'D+8 08:00') D2=$(day 'D+2')

a=$(look --at "$(day 'D 12:00')" 6901234567892)
expect "before the flyer window" "$a" price 5990
expect "before the flyer window" "$a" source base
a=$(look --at "$FLYER_START" 6901234567892)
expect "flyer starts at its instant" "$a" price 2990
expect "flyer starts at its instant" "$a" source flyer
expect "flyer starts at its instant" "$a" promo_id P-flyer
expect "flyer starts at its instant" "$a" promo_ends "$FLYER_END"
expect "flyer starts at its instant" "$a" prev_price 5990
expect "flyer starts at its instant" "$a" prev_changed_at "$FLYER_START"
a=$(look --at "$(day 'D+8 07:59:59')" 6901234567885)
expect "second barcode, last second of the window" "$a" price 2990
a=$(look --at "$FLYER_END" 6901234567892)
expect "flyer ends at its instant" "$a" price 5990
expect "flyer ends at its instant" "$a" low_7d 2990

a=$(look --at "$D2" 6920000000012)
expect "member price not given to non-members" "$a" price 6500
a=$(look --at "$D2" --member 6920000000012)
expect "member price: 10% off" "$a" price 5850
expect "member price: 10% off" "$a" source member
a=$(look --at "$D2" --store S1 6920000000012)
expect "zone price for a store of the zone" "$a" price 6200
expect "zone price for a store of the zone" "$a" source zone
a=$(look --at "$D2" --store S3 6920000000012)
expect "store price beats the base price" "$a" price 6300
expect "store price beats the base price" "$a" source store
a=$(look --at "$D2" --store S1 --member 6920000000012)
expect "member percent applies to the zone price" "$a" price 5580

a=$(look --at "$D2" --store S3 036000291452)
expect "UPC-A, zone-scoped special in its zone" "$a" price 250
a=$(look --at "$D2" --store S1 036000291452)
expect "zone-scoped special not in another zone" "$a" price 350
a=$(look --at "$D2" 100003)
expect "keyed item code" "$a" sku 100003
expect "keyed item code answers with the primary barcode" "$a" gtin 00036000291452

a=$(look --at "$D2" 2112345012346)
expect "scale code: 1.234 kg at 39.80/kg" "$a" price 4911
expect "scale code weight" "$a" weight_g 1234
expect "scale code unit price" "$a" unit_price 3980
a=$(look --at "$D2" 2012345019959)
expect "scale code with an embedded price" "$a" price 1995
expect "scale code with an embedded price" "$a" source embedded

a=$(look 6901234567893)
expect "wrong check digit" "$a" status bad_code
expect "wrong check digit names the expected digit" "$a" error "EAN-13 check digit is 3, expected 2"
a=$(look 6901234567809)
expect "unknown barcode" "$a" status not_found
a=$(look 'x!y')
expect "garbage" "$a" status bad_code

set +e
"$BIN/pricelane" lookup --db "$T/db" 6901234567892 >/dev/null; rc_ok=$?
"$BIN/pricelane" lookup --db "$T/db" 6901234567809 >/dev/null; rc_nf=$?
"$BIN/pricelane" lookup --db "$T/nope" 6901234567892 >/dev/null 2>&1; rc_db=$?
set -e
checks=$((checks+3))
[ $rc_ok = 0 ] && echo "ok   exit 0 when every code is ok" || { echo "FAIL exit $rc_ok for an ok code"; fails=$((fails+1)); }
[ $rc_nf = 1 ] && echo "ok   exit 1 when a code is not ok" || { echo "FAIL exit $rc_nf for not_found"; fails=$((fails+1)); }
[ $rc_db = 2 ] && echo "ok   exit 2 without a catalogue" || { echo "FAIL exit $rc_db without a catalogue"; fails=$((fails+1)); }
echo "lookup_cli: $checks checks, $fails failed"
[ $fails = 0 ]
