#!/usr/bin/env bash
# 2D codes at the lane, from real symbols: Debian's zint makes a GS1
# DataMatrix, a GS1 QR, a GS1-128, a GS1 DataBar Expanded, a DataBar and an
# EAN-13; Debian's ZXingReader decodes each; exactly what it printed (its
# symbology identifier, then the content's bytes with the raw GS byte) goes
# to pricelaned over TCP (line), UDP and RESP (redis-cli), on both engines.
# The three transports must give the same answer, and the answer must carry
# what the symbol holds: weight × unit price, an expired pack blocked, a
# best-before reported, an embedded price. The reader's one-line form
# (-1: GS written "<GS>", no identifier) is sent too. Dates in the symbols
# are relative to the run's clock.
source "$(dirname "$0")/lib/common.bash"
command -v zint >/dev/null && command -v ZXingReader >/dev/null || {
    echo "zint or ZXingReader missing (ops/install-deps)"
    exit 1
}

make_catalogue
# The weighed pork (200001, 39.80/kg) gets a GTIN for its 2D label.
printf 'op,sku,barcode\nbarcode,200001,09506000134352\n' >"$T/gtin.csv"
"$BIN/pricelane-load" apply --db "$T/db" "$T/gtin.csv" >/dev/null

NOW=$(date +%s)
yymmdd() { # TOKEN → the local date of D±N as YYMMDD
    local at
    at=$(python3 "$SRC/tests/e2e/lib/fixture.py" --anchor "@$NOW" --at "$1")
    echo "${at:2:2}${at:5:2}${at:8:2}"
}
SOON=$(yymmdd D+10) PAST=$(yymmdd D-2)
at_iso() { # YYMMDD → YYYY-MM-DD: the century by GS1 7.12 from the run's year
    local yy=$((10#${1:0:2})) now d c
    now=$(date +%Y)
    d=$((yy - now % 100))
    c=$((now - now % 100))
    [ $d -ge 51 ] && c=$((c - 100))
    [ $d -le -50 ] && c=$((c + 100))
    printf '%04d-%s-%s\n' $((c + yy)) "${1:2:2}" "${1:4:2}"
}

# name → zint symbology, options, data
declare -A SYM=(
    [dm]="DATAMATRIX --gs1 --scale=4 --whitesp=4 --vwhitesp=4|[01]09506000134352[17]${SOON}[10]LOT42[3103]000500"
    [qr]="QRCODE --gs1 --scale=4 --whitesp=4 --vwhitesp=4|[01]06901234567892[17]${PAST}[10]OLD1"
    [c128]="GS1_128 --scale=2|[01]06901234567892[15]${PAST}[10]B7"
    [dbx]="DBAR_EXP --scale=2|[01]06920000000012[3922]5000"
    [dbo]="DBAR_OMN --scale=2|0690123456789"
    [ean]="EANX --scale=2|690123456789"
)
NAMES="dm qr c128 dbx dbo ean"
for n in $NAMES; do
    IFS='|' read -r how data <<<"${SYM[$n]}"
    # shellcheck disable=SC2086 # $how is zint's options
    timeout 20 zint -b $how -d "$data" -o "$T/$n.png" || { bad "$n: zint failed"; continue; }
    out=$(timeout 20 ZXingReader "$T/$n.png")
    id=$(sed -n 's/^Identifier: *//p' <<<"$out")
    # the content's bytes, as the reader's hex dump gives them
    hex=$(sed -n 's/^Bytes: *//p' <<<"$out")
    # $n.code: the bytes; $n.udp: the same as plnet.py's backslash escapes
    python3 -c 'import sys
b = sys.argv[1].encode() + bytes.fromhex(sys.argv[2])
open(sys.argv[3] + ".code", "wb").write(b)
open(sys.argv[3] + ".udp", "w").write("".join(chr(c) if 32 < c < 127 and c != 92 else "\\x%02x" % c for c in b))' \
        "$id" "$hex" "$T/$n"
    check_match "$n: ZXingReader reads it with a symbology identifier" "$id" '^\][A-Za-z][0-9]$'
    timeout 20 ZXingReader -1 "$T/$n.png" | sed -n 's/^[^ ]* [^ ]* "\(.*\)"$/\1/p' >"$T/$n.text"
done
check_eq "the DataMatrix holds a raw GS" "$(grep -c $'\x1d' "$T/dm.code")" 1
check_eq "the one-line form writes it <GS>" "$(cat "$T/dm.text")" \
    "010950600013435217${SOON}10LOT42<GS>3103000500"

# What each answer must say: field=value ...
declare -A WANT=(
    [dm]="status=ok sku=200001 symbology=]d2 lot=LOT42 weight_g=500 unit_price=3980 price=1990 expiry=$(at_iso "$SOON")"
    [qr]="status=blocked sku=100001 symbology=]Q3 lot=OLD1 reason=expired expiry=$(at_iso "$PAST")"
    [c128]="status=ok sku=100001 symbology=]C1 lot=B7 price=5990 best_before=$(at_iso "$PAST")"
    [dbx]="status=ok sku=100002 symbology=]e0 price=5000 source=embedded embedded_price=5000"
    [dbo]="status=ok sku=100001 gtin=06901234567892 price=5990"
    [ean]="status=ok sku=100001 gtin=06901234567892 price=5990"
)
check_fields() { # NAME ANSWER: every field of WANT[NAME], one python3 start
    local kv k got
    local -A has=()
    while IFS= read -r kv; do has[${kv%%=*}]=${kv#*=}; done < <(python3 -c 'import json, sys
try:
    a = json.loads(sys.argv[1])
except ValueError:
    a = {}
for k in sys.argv[2:]:
    v = a.get(k)
    print("%s=%s" % (k, "null" if v is None else v))' "$2" $(for kv in ${WANT[$1]}; do echo "${kv%%=*}"; done))
    for kv in ${WANT[$1]}; do
        k=${kv%%=*}
        got=${has[$k]-}
        check_eq "$ENGINE $1 $TRANSPORT: $k" "$got" "${kv#*=}"
    done
}

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0
    start_server srv "$ENGINE" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    # TCP: every code in one connection, one answer a line, in order.
    : >"$T/tcp.in"
    for n in $NAMES; do cat "$T/$n.code" >>"$T/tcp.in"; echo >>"$T/tcp.in"; done
    mapfile -t TCP < <(plnet tcp "$PORT" --lines 6 <"$T/tcp.in")
    # UDP: one datagram each, in one run
    mapfile -t UDP < <(plnet udp "$PORT" $(for n in $NAMES; do cat "$T/$n.udp"; echo; done))
    i=0
    for n in $NAMES; do
        TRANSPORT=tcp
        check_fields "$n" "${TCP[$i]:-{\}}"
        TRANSPORT=udp
        check_eq "$ENGINE $n: UDP answers as TCP" "${UDP[$i]:-}" "${TCP[$i]:-}"
        TRANSPORT=resp
        resp=$(rcli -p "$PORT" GET "$(cat "$T/$n.code")")
        check_eq "$ENGINE $n: RESP answers as TCP" "$resp" "${TCP[$i]:-}"
        i=$((i + 1))
    done
    # The reader's one-line form: "<GS>" for the byte, no identifier.
    TRANSPORT=tcp-text
    text=$(plnet tcp "$PORT" --lines 1 <"$T/dm.text")
    WANT[dm]="status=ok sku=200001 symbology=null lot=LOT42 weight_g=500 price=1990"
    check_fields dm "$text"
    WANT[dm]="status=ok"
    # Best-before blocks when the server says so.
    check_eq "$ENGINE: blocked answers counted" "$(metric "$ADMIN" pricelane_blocked_total)" 3
    stop_server srv "$SPID"
    start_server bb "$ENGINE" --best-before block || exit 1
    c128=$(plnet tcp "$PORT" --lines 1 < <(cat "$T/c128.code"; echo))
    check_eq "$ENGINE: best_before = block blocks the past best-before" \
        "$(field "$c128" status) $(field "$c128" reason)" "blocked best_before"
    stop_server bb "$SPID"
done
finish
