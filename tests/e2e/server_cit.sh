#!/usr/bin/env bash
# Aisle price checkers (Newland NQuire, "CIT" server mode) against
# pricelaned's cit_listen port, played by tests/e2e/lib/nquire.py: whole
# screens, byte for byte, for a plain item, a promotion (a device mapped to
# the store where it runs), a member price, a weighed item keyed by its code,
# a scale code, an unknown code, a bad check digit and a symbology prefix;
# over TCP and UDP (the answer to the device's own answer port), on both
# engines, in UTF-8 and GB18030. Malformed input: binary bytes, a line with
# no break, a line too long (a screen saying so, then the connection
# closes), a flood from one address (rate limited; another device still
# answered).
source "$(dirname "$0")/lib/common.bash"

# The catalogue and the expected promotion end share one anchor: the run's
# clock, read once.
NOW=$(date +%s)
"$BIN/pricelane-load" init --db "$T/db" >/dev/null
"$BIN/pricelane-load" import --db "$T/db" --now "@$((NOW - 86400))" \
    "$(fixture small.csv.in "@$NOW")" >/dev/null
END=$(python3 "$SRC/tests/e2e/lib/fixture.py" --anchor "@$NOW" --at "D+26")
END="${END:0:10} ${END:11:5}" # the screen shows the catalogue's local time

nq() { timeout 30 python3 "$SRC/tests/e2e/lib/nquire.py" "$@"; }
REPLY_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

E='\x1b'
S="${E}%${E}B0" # clear the screen, small font
L="${E}B1"      # large font
NL='\x0d'
BEEP="${E}^"
declare -A WANT=(
    [plain]="${S}金龙鱼 调和油 5L${NL}单位 each${NL}${L} ￥59.90${NL}"
    [promo]="${S}可口可乐 330ml${NL}单位 each${NL}${L}  ￥2.50${NL}${E}B0特价${NL}至 ${END}${NL}"
    [member]="${S}蒙牛 纯牛奶 250ml×24${NL}单位 each${NL}${L} ￥65.00${NL}${E}B0会员价 ￥58.50${NL}"
    [weighed]="${S}猪肉 精瘦肉${NL}${L}￥39.80/kg${NL}"
    [scale]="${S}猪肉 精瘦肉${NL}${L} ￥49.11${NL}${E}B0重量 1.234kg${NL}单价 ￥39.80/kg${NL}"
    [unknown]="${S}未找到该商品，请咨询${NL}服务台${NL}6901234567809${NL}${BEEP}"
    [check]="${S}条码无法识别，请咨询${NL}服务台${NL}条码校验位错误${NL}${BEEP}"
    [binary]="${S}条码无法识别，请咨询${NL}服务台${NL}control byte 0x01 at${NL}position 3: not a${NL}scanned code${NL}${BEEP}"
    [long]="${S}条码无法识别，请咨询${NL}服务台${NL}no line break in 256${NL}bytes${NL}${BEEP}"
)
# name → what the device sends, and from which address (127.0.0.3 is a
# device of store S3, in the south zone where the cola's special runs).
declare -A CODE=([plain]=6901234567892 [promo]=036000291452 [member]=6920000000012
    [weighed]=200001 [scale]=2112345012346 [unknown]=6901234567809 [check]=6901234567893
    [prefix]=F6901234567892)
want_of() { local k=$1; [ "$k" = prefix ] && k=plain; printf '%s' "${WANT[$k]}"; }

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0
    start_server srv "$ENGINE" --cit-listen 127.0.0.1:0 --cit-stores "127.0.0.3=S3" \
        --cit-gb18030 127.0.0.4/32 --cit-reply-port "$REPLY_PORT" --udp-rate 20 --udp-burst 20 || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    check_match "$ENGINE: the ready line names the price checkers' port" "$CIT" '^[0-9]+$'

    # Every case from the store's default devices in one connection and in
    # one run of datagrams (one screen per scan, in order); the promotion
    # from a device of store S3.
    local_cases=(plain member weighed scale unknown check prefix)
    codes=() want=()
    for c in "${local_cases[@]}"; do codes+=("${CODE[$c]}"); want+=("$(want_of "$c")"); done
    mapfile -t got < <(nq tcp "$CIT" "${codes[@]}")
    mapfile -t gotu < <(nq udp "$CIT" --listen "$REPLY_PORT" "${codes[@]}")
    for i in "${!local_cases[@]}"; do
        check_eq "$ENGINE tcp: ${local_cases[$i]}" "${got[$i]:-}" "${want[$i]}"
        check_eq "$ENGINE udp: ${local_cases[$i]}" "${gotu[$i]:-}" "${want[$i]}"
    done
    check_eq "$ENGINE tcp: promo (a device of S3)" \
        "$(nq tcp "$CIT" --src 127.0.0.3 "${CODE[promo]}")" "$(want_of promo)"
    check_eq "$ENGINE udp: promo (a device of S3)" \
        "$(nq udp "$CIT" --src 127.0.0.3 --listen "$REPLY_PORT" "${CODE[promo]}")" "$(want_of promo)"
    check_eq "$ENGINE: a device in no listed network gets the default store (no special)" \
        "$(nq tcp "$CIT" "${CODE[promo]}" | grep -c 特价 || true)" 0

    # GB18030: the same screens, the text in the device's character set.
    gcases=(plain member scale unknown)
    codes=()
    for c in "${gcases[@]}"; do codes+=("${CODE[$c]}"); done
    mapfile -t got < <(nq tcp "$CIT" --src 127.0.0.4 --enc gb18030 "${codes[@]}")
    for i in "${!gcases[@]}"; do
        check_eq "$ENGINE tcp gb18030: ${gcases[$i]}" "${got[$i]:-}" "$(want_of "${gcases[$i]}")"
    done
    check_eq "$ENGINE udp gb18030: member" \
        "$(nq udp "$CIT" --src 127.0.0.4 --listen "$REPLY_PORT" --enc gb18030 "${CODE[member]}")" \
        "$(want_of member)"
    gb=$(nq tcp "$CIT" --src 127.0.0.4 --raw "${CODE[plain]}")
    u8=$(nq tcp "$CIT" --raw "${CODE[plain]}")
    check_match "$ENGINE gb18030: 金龙鱼 as GB18030 bytes (bd f0 c1 fa d3 e3)" "$gb" 'bdf0c1fad3e3'
    check_match "$ENGINE utf-8: 金 as UTF-8 bytes (e9 87 91)" "$u8" 'e98791'
    [ "$gb" != "$u8" ] && ok "$ENGINE: the two devices get different bytes" ||
        bad "$ENGINE: the GB18030 device got the UTF-8 bytes"

    # Malformed input.
    check_eq "$ENGINE tcp: binary bytes get a screen saying so" \
        "$(nq tcp "$CIT" 'AB\x01CD')" "${WANT[binary]}"
    check_eq "$ENGINE udp: binary bytes get a screen saying so" \
        "$(nq udp "$CIT" --listen "$REPLY_PORT" 'AB\x01CD')" "${WANT[binary]}"
    check_eq "$ENGINE udp: a datagram without a line break is one request" \
        "$(nq udp "$CIT" --listen "$REPLY_PORT" --no-break "${CODE[plain]}")" "$(want_of plain)"
    check_eq "$ENGINE tcp: a line without its break is not answered" \
        "$(nq tcp "$CIT" --no-break "${CODE[plain]}")" ""
    long=$(head -c 300 /dev/zero | tr '\0' 7)
    mapfile -t got < <(nq tcp "$CIT" "${CODE[plain]}" "$long" "${CODE[member]}")
    check_eq "$ENGINE tcp: a line too long: answered up to it, a screen, then closed" \
        "${got[*]}" "$(want_of plain) ${WANT[long]}"

    # A flood from one device is rate limited; another device is answered.
    python3 - "$CIT" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.5", 0))
for _ in range(200):
    s.sendto(b"6901234567892\r\n", ("127.0.0.1", int(sys.argv[1])))
EOF
    if wait_until 10 metric_at_least "$ADMIN" 'pricelane_udp_dropped_total{reason="rate_limited"}' 100; then
        ok "$ENGINE udp: a flood from one address is rate limited"
    else
        bad "$ENGINE udp: a flood from one address is rate limited: $(metric "$ADMIN" 'pricelane_udp_dropped_total{reason="rate_limited"}')"
    fi
    check_eq "$ENGINE udp: another device is still answered" \
        "$(nq udp "$CIT" --listen "$REPLY_PORT" "${CODE[plain]}")" "$(want_of plain)"
    check_match "$ENGINE metrics: price checker requests counted" \
        "$(metric "$ADMIN" 'pricelane_requests_total{proto="cit_tcp",status="ok"}')" '^[1-9][0-9]*$'
    check_match "$ENGINE metrics: bad price checker lines counted" \
        "$(metric "$ADMIN" 'pricelane_requests_total{proto="cit_udp",status="bad_request"}')" '^[1-9]'

    stop_server srv "$SPID"
    check_eq "$ENGINE: SIGTERM: exit status" "$STOP_RC" 0
done
finish
