#!/usr/bin/env bash
# The lanes' exception log over a whole day, through a running pricelaned
# and the next morning's pricelane-load report. A price change whose label
# is printed late, one printed and placed late, one printed and placed on
# time, a promotion sign out of date, a price keyed wrongly and corrected
# after the scan by a batch marked "correction"; reports from lane L1 of S1
# over TCP and lane L2 of S2 over RESP (redis-cli), a retry, a barcode that
# would not scan, a name that differs, keyed lookups. The morning report puts
# every report under its cause and department with the right refunded
# totals (CSV and JSON compared whole), lists the items keyed most, and its
# HTML page is checked in headless Chromium. Instants are relative to the
# run's clock, and the loader's are given with --now.
source "$(dirname "$0")/lib/common.bash"
LOAD=$BIN/pricelane-load
command -v chromium >/dev/null || {
    echo "chromium missing (ops/install-deps)"
    exit 1
}

NOW=$(date +%s)
H=3600
ean() { # 12 digits → the EAN-13 with its check digit
    local s=$1 i sum=0
    for ((i = 0; i < 12; i++)); do sum=$((sum + ${s:i:1} * (i % 2 ? 3 : 1))); done
    echo "$s$(((10 - sum % 10) % 10))"
}
# jf JSON KEY → a string or number field of a reply (no interpreter start per
# check on a loaded machine)
jf() {
    if [[ $1 =~ \"$2\":\"([^\"]*)\" ]] || [[ $1 =~ \"$2\":([-0-9a-z.]+) ]]; then
        echo "${BASH_REMATCH[1]}"
    fi
}
for i in 1 2 3 4 5 6 7 8 9; do eval "BC$i=$(ean "69012345600$i")"; done

# ---- the catalogue: imported two days back, the price changes an hour back ---
"$LOAD" init --db "$T/db" >/dev/null
{
    echo "op,store,zone,name,sku,barcode,price,promo,kind,items,start,end,reason"
    echo "store,S1,Z1,一号店,,,,,,,,,"
    echo "store,S2,Z1,二号店,,,,,,,,,"
    n=0
    for p in 10.00 8.00 5.00 4.00 3.00 20.00 7.00 6.00 9.00; do
        n=$((n + 1))
        bc=BC$n
        echo "item,,,商品$n,10000$n,,$p,,,,,,"
        echo "barcode,,,,10000$n,${!bc},,,,,,,"
    done
    echo "promo,,,,,,15.00,P-OLD,special,100006,@$((NOW - 3 * 86400)),@$((NOW - 86400)),"
} >"$T/base.csv"
load() { # DESCRIPTION ARGS...
    local d=$1 out rc=0
    shift
    out=$("$LOAD" "$@" 2>&1) || rc=$?
    check_eq "$d" "$rc" 0
    [ "$rc" = 0 ] || echo "$out" | head -20
    LOUT=$out
}
load "import two days back" import --db "$T/db" --now "@$((NOW - 2 * 86400))" "$T/base.csv"
printf 'op,sku,price\nprice,100001,12.00\nprice,100002,9.00\nprice,100003,6.00\nprice,100004,4.50\nprice,100005,3.50\nprice,100007,9.90\n' >"$T/b1.csv"
load "price changes an hour back" apply --db "$T/db" --now "@$((NOW - H))" "$T/b1.csv"
# job SKU → its job id (pending or printed)
job() { "$LOAD" labels list --db "$T/db" --all | awk -v s="$1" '$5 == s && $2 != "superseded" { print $1 }' | head -1; }
J2=$(job 100002) J3=$(job 100003) J4=$(job 100004) J5=$(job 100005) J6=$(job 100006)
load "labels of 100002..100004 printed half an hour back" labels printed --db "$T/db" --now "@$((NOW - H / 2))" "$J2" "$J3" "$J4"
# 100006's label went back to the regular price when the promotion ended (the
# sign of the promotion stayed up).
load "the labels of 100003 and 100006 placed twenty minutes back" labels placed --db "$T/db" --now "@$((NOW - H / 3))" "$J3" "$J6"

# ---- the day at the lanes -------------------------------------------------------
rc=0
start_server day uring || rc=$?
if [ "$rc" = 77 ]; then
    rc=0
    start_server day uv || rc=$?
fi
[ "$rc" = 0 ] || exit 1
DATE1=$(date -u -d "@$(($(date +%s) + 8 * H))" +%F)

rep() { echo "REPORT $1 id=$2 store=S1 lane=L1 cashier=c01 kind=$3${4:+ shelf=$4}"; }
TCP_OUT=$({
    rep "$BC1" r1 price 1000
    rep "$BC2" r2 price 800
    rep "$BC3" r3 price 500
    rep "$BC4" r4 price 400
    rep "$BC5" r5 price 300
    rep 100008 r8 no_scan
    rep "$BC1" r1 price 1000
    echo "GET 100008 store=S1"
    echo "GET 100008 store=S1"
    echo "GET 100008 store=S1"
    echo "GET 100001 store=S1"
} | plnet tcp "$PORT" --lines 11)
reply() { sed -n "${1}p" <<<"$TCP_OUT"; }
check_eq "TCP r1: provisional cause" "$(jf "$(reply 1)" cause)" label_not_printed
check_eq "TCP r1: charge the lower price, refund the difference" "$(jf "$(reply 1)" charge)/$(jf "$(reply 1)" refund)" 1000/200
check_eq "TCP r2: printed, not placed" "$(jf "$(reply 2)" cause)" label_not_placed
check_eq "TCP r3: placed on time: no cause" "$(jf "$(reply 3)" cause)" unknown
check_eq "TCP r4: placed late: not placed at the scan" "$(jf "$(reply 4)" cause)" label_not_placed
check_eq "TCP r5: printed late: not printed at the scan" "$(jf "$(reply 5)" cause)" label_not_printed
check_eq "TCP r8: no scan" "$(jf "$(reply 6)" cause)" no_scan
check_eq "TCP r1 again: the same report" "$(jf "$(reply 7)" retry)/$(jf "$(reply 7)" refund)" true/200

resp() { rcli -p "$PORT" REPORT "$1" "id=$2" store=S2 lane=L2 cashier=c02 "kind=$3" ${4:+"shelf=$4"}; }
R6=$(resp "$BC6" r6 price 1500)
R7=$(resp "$BC7" r7 price 700)
R9=$(resp "$BC9" r9 name)
check_eq "RESP r6: the sign of an ended promotion" "$(jf "$R6" cause)/$(jf "$R6" refund)" promo_sign/500
check_eq "RESP r7: at the scan a label not printed" "$(jf "$R7" cause)/$(jf "$R7" refund)" label_not_printed/290
check_eq "RESP r9: item data" "$(jf "$R9" cause)" item_data
rcli -p "$PORT" GET S2:100009 >/dev/null
rcli -p "$PORT" GET S2:100009 >/dev/null
DATE2=$(date -u -d "@$(($(date +%s) + 8 * H))" +%F)

# ---- after the reports: a print and a placement late, a correction ---------------
AFTER=$(($(date +%s) + 2))
load "the label of 100004 placed after the scan" labels placed --db "$T/db" --now "@$AFTER" "$J4"
load "the label of 100005 printed after the scan" labels printed --db "$T/db" --now "@$AFTER" "$J5"
printf 'op,sku,price,reason\nprice,100007,7.00,correction\n' >"$T/fix.csv"
load "100007 corrected" apply --db "$T/db" --now "@$AFTER" "$T/fix.csv"
"$LOAD" history --db "$T/db" --at "@$AFTER" 100007 >"$T/history.txt"
check_eq "history shows the correction" "$(grep -c 'fix (correction)' "$T/history.txt")" 1

# ---- the next morning -----------------------------------------------------------
MORNING="@$((AFTER + 12 * H))"
report() { # FORMAT → the day's report (both dates when the day turned meanwhile)
    local d
    for d in $(printf '%s\n' "$DATE1" "$DATE2" | sort -u); do
        "$LOAD" report --db "$T/db" --date "$d" --now "$MORNING" --format "$1"
    done
}
# keyed STORE SKU → the keyed count of the CSV report (0 when absent)
keyed() { report csv 2>/dev/null | awk -F, -v s="$1" -v k="$2" '$1 == "keyed" && $2 == s && $12 == k { n = $5 } END { print n + 0 }'; }
keyed_in() { [ "$(keyed S1 100008)" -ge 3 ] && [ "$(keyed S2 100009)" -ge 2 ]; }
if wait_until 20 keyed_in; then ok "keyed counts reached the report store"; else bad "keyed counts never reached the report store"; fi
stop_server day "$SPID"
check_eq "server stopped cleanly" "$STOP_RC" 0

report json >"$T/day.json"
report csv >"$T/day.csv"
python3 - "$T/day.json" "$T/day.csv" <<'EOF' >"$T/check.txt"
import csv, json, sys
text = open(sys.argv[1]).read()
docs, dec, i = [], json.JSONDecoder(), 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    d, i = dec.raw_decode(text, i)
    docs.append(d)
rows = []
for d in docs:
    for s in d["stores"]:
        for c in s["causes"]:
            for r in c["list"]:
                rows.append((s["store"], r["report"], c["cause"], c["department"], r["provisional_cause"], r["refund"]))
        for k in s["keyed"]:
            rows.append((s["store"], "keyed", k["sku"], k["count"]))
totals = {}
for d in docs:
    for s in d["stores"]:
        for c in s["causes"]:
            key = (s["store"], c["cause"])
            n, r = totals.get(key, (0, 0))
            totals[key] = (n + c["count"], r + c["refunded"])
for r in sorted(rows, key=str):
    print(*r)
for k in sorted(totals):
    print("total", *k, *totals[k])
csvrows = list(csv.DictReader(open(sys.argv[2], newline="")))
money = lambda v: "" if v is None else "%d.%02d" % (v // 100, v % 100)
fromjson = set()
for d in docs:
    for s in d["stores"]:
        for c in s["causes"]:
            fromjson.add(("cause", s["store"], c["cause"], c["department"], str(c["count"]), money(c["refunded"])))
            for r in c["list"]:
                fromjson.add(("report", s["store"], c["cause"], c["department"], r["at"], r["lane"], r["cashier"],
                              r["report"], r["code"], r["sku"] or "", r["name"] or "", r["kind"], money(r["shelf_price"]),
                              money(r["system_price"]), money(r["charged"]), money(r["refund"]),
                              r["provisional_cause"], "yes" if r["keyed"] else "no"))
        for k in s["keyed"]:
            fromjson.add(("keyed", s["store"], str(k["count"]), k["sku"], k["name"] or ""))
cols = {"cause": ["store", "cause", "department", "count", "refunded"],
        "report": ["store", "cause", "department", "at", "lane", "cashier", "report", "code", "sku", "name", "kind",
                   "shelf_price", "system_price", "charged", "refund", "provisional_cause", "keyed"],
        "keyed": ["store", "count", "sku", "name"]}
fromcsv = set((r["section"],) + tuple(r[c] for c in cols[r["section"]]) for r in csvrows)
print("json and csv agree:", fromjson == fromcsv and len(fromjson) == len(csvrows))
print("csv", len([r for r in csvrows if r["section"] == "report"]), "reports",
      sum(int(r["count"]) for r in csvrows if r["section"] == "cause"), "counted",
      "%.2f" % sum(float(r["refunded"]) for r in csvrows if r["section"] == "cause"), "refunded")
EOF
cat >"$T/want.txt" <<'EOF'
S1 keyed 100001 1
S1 keyed 100008 3
S1 r1 label_not_printed data entry label_not_printed 200
S1 r2 label_not_placed store customer service label_not_placed 100
S1 r3 unknown head cashier unknown 100
S1 r4 label_not_placed store customer service label_not_placed 50
S1 r5 label_not_printed data entry label_not_printed 50
S1 r8 no_scan store management no_scan 0
S2 keyed 100009 2
S2 r6 promo_sign store planning promo_sign 500
S2 r7 system_price merchandising data label_not_printed 290
S2 r9 item_data store management item_data 0
total S1 label_not_placed 2 150
total S1 label_not_printed 2 250
total S1 no_scan 1 0
total S1 unknown 1 100
total S2 item_data 1 0
total S2 promo_sign 1 500
total S2 system_price 1 290
json and csv agree: True
csv 9 reports 9 counted 12.90 refunded
EOF
if diff "$T/want.txt" "$T/check.txt" >/dev/null; then
    ok "the morning report: every report under its cause and department, totals, keyed items (JSON and CSV)"
else
    bad "the morning report differs (want, got):"
    diff "$T/want.txt" "$T/check.txt" | sed 's/^/       /'
fi

# The CSV whole, the instants of the reports left out (they are the run's):
# in order when the day did not turn during the test, as a set when it did.
cat >"$T/csv.want" <<'EOF'
section,store,cause,department,count,refunded,at,lane,cashier,report,code,sku,name,kind,shelf_price,system_price,charged,refund,provisional_cause,keyed
cause,S1,label_not_printed,data entry,2,2.50,,,,,,,,,,,,,,
cause,S1,label_not_placed,store customer service,2,1.50,,,,,,,,,,,,,,
cause,S1,no_scan,store management,1,0.00,,,,,,,,,,,,,,
cause,S1,unknown,head cashier,1,1.00,,,,,,,,,,,,,,
report,S1,label_not_printed,data entry,,,,L1,c01,r1,6901234560015,100001,商品1,price,10.00,12.00,10.00,2.00,label_not_printed,no
report,S1,label_not_printed,data entry,,,,L1,c01,r5,6901234560053,100005,商品5,price,3.00,3.50,3.00,0.50,label_not_printed,no
report,S1,label_not_placed,store customer service,,,,L1,c01,r2,6901234560022,100002,商品2,price,8.00,9.00,8.00,1.00,label_not_placed,no
report,S1,label_not_placed,store customer service,,,,L1,c01,r4,6901234560046,100004,商品4,price,4.00,4.50,4.00,0.50,label_not_placed,no
report,S1,no_scan,store management,,,,L1,c01,r8,100008,100008,商品8,no_scan,,6.00,6.00,0.00,no_scan,yes
report,S1,unknown,head cashier,,,,L1,c01,r3,6901234560039,100003,商品3,price,5.00,6.00,5.00,1.00,unknown,no
keyed,S1,,,3,,,,,,,100008,商品8,,,,,,,
keyed,S1,,,1,,,,,,,100001,商品1,,,,,,,
cause,S2,system_price,merchandising data,1,2.90,,,,,,,,,,,,,,
cause,S2,promo_sign,store planning,1,5.00,,,,,,,,,,,,,,
cause,S2,item_data,store management,1,0.00,,,,,,,,,,,,,,
report,S2,system_price,merchandising data,,,,L2,c02,r7,6901234560077,100007,商品7,price,7.00,9.90,7.00,2.90,label_not_printed,no
report,S2,promo_sign,store planning,,,,L2,c02,r6,6901234560060,100006,商品6,price,15.00,20.00,15.00,5.00,promo_sign,no
report,S2,item_data,store management,,,,L2,c02,r9,6901234560091,100009,商品9,name,,9.00,9.00,0.00,item_data,no
keyed,S2,,,2,,,,,,,100009,商品9,,,,,,,
EOF
csv_got() { awk -F, -v OFS=, '$1 == "report" { $7 = "" } { print }' "$T/day.csv" | tr -d '\r'; }
if [ "$DATE1" = "$DATE2" ]; then
    check_eq "the morning report's CSV, row by row" "$(csv_got)" "$(cat "$T/csv.want")"
else
    check_eq "the morning report's CSV rows (over two days)" "$(csv_got | sort -u)" "$(sort -u "$T/csv.want")"
fi

# ---- bad input: a precise error, nothing printed ----------------------------------
bad_report() { # DESCRIPTION STATUS NEEDLE ARGS...
    local d=$1 want=$2 needle=$3 out rc=0
    shift 3
    out=$("$LOAD" report --db "$T/db" "$@" 2>&1) || rc=$?
    if [ "$rc" = "$want" ] && [[ $out == *"$needle"* ]]; then ok "$d"; else bad "$d: exit $rc: $out"; fi
}
bad_report "report: unknown store" 1 "store S9: unknown store" --date "$DATE1" --store S9
bad_report "report: not a date" 2 'not a date' --date 2026-02-30
bad_report "report: unknown format" 2 "csv, json or html" --date "$DATE1" --format pdf
bad_report "report: no report store" 1 "no report store there" --date "$DATE1" --reports "$T/none"
check_eq "report --store S2: S2's reports only" "$("$LOAD" report --db "$T/db" --date "$DATE2" --now "$MORNING" --store S2 | awk -F, '$1 == "report" { print $2 }' | sort -u)" S2

# ---- the printable page in headless Chromium -----------------------------------
report html >"$T/day.html"
check_eq "html: self-contained (no external resources)" "$(grep -ciE '(src|href)=|@import|url\(' "$T/day.html" || true)" 0
chrome() { timeout 60 env -u LD_PRELOAD -u FAKETIME chromium --headless --no-sandbox --disable-gpu \
    --user-data-dir="$T/chrome" "$@" 2>>"$T/chrome.err"; }
chrome --dump-dom "file://$T/day.html" >"$T/dom.html" || true
python3 - "$T/dom.html" <<'EOF' >"$T/dom.txt"
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.sections = 0; self.cause = None; self.cell = None; self.rows = []; self.row = []
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "section": self.sections += 1
        if tag == "tr" and "data-cause" in a: self.cause = a["data-cause"]; self.row = []
        if tag == "td" and self.cause: self.cell = ""
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
    def handle_endtag(self, tag):
        if tag == "td" and self.cause and self.cell is not None: self.row.append(self.cell.strip()); self.cell = None
        if tag == "tr" and self.cause: self.rows.append((self.cause, self.row[1], self.row[2], self.row[3])); self.cause = None
p = P(); p.feed(open(sys.argv[1]).read())
print("sections", p.sections)
for r in p.rows: print(*r, sep="|")
EOF
cat >"$T/dom.want" <<'EOF'
sections 2
label_not_printed|data entry|2|2.50
label_not_placed|store customer service|2|1.50
no_scan|store management|1|0.00
unknown|head cashier|1|1.00
system_price|merchandising data|1|2.90
promo_sign|store planning|1|5.00
item_data|store management|1|0.00
EOF
if diff "$T/dom.want" "$T/dom.txt" >/dev/null; then
    ok "html in Chromium: a page per store, the cause table of each"
else
    bad "html in Chromium differs (want, got):"
    diff "$T/dom.want" "$T/dom.txt" | sed 's/^/       /'
fi
chrome --print-to-pdf="$T/day.pdf" "file://$T/day.html" >/dev/null || true
check_eq "html printed: a page per store" "$(grep -aoE '/Type ?/Page([^s]|$)' "$T/day.pdf" 2>/dev/null | wc -l)" 2
# PL_REPORT_KEEP=DIR: the page, its PDF and a screenshot for a person to look at.
if [ -n "${PL_REPORT_KEEP:-}" ]; then
    chrome --screenshot="$T/day.png" --window-size=1240,1754 "file://$T/day.html" >/dev/null || true
    cp "$T/day.html" "$T/day.png" "$T/day.pdf" "$PL_REPORT_KEEP/"
fi
finish
