# Shared by tests/e2e/fault_*.sh (docs/reliability.md): on top of
# common.bash (scratch dir, start_server / stop_server, checks), a synthetic
# catalogue, a few hundred requests, and a byte-for-byte comparison of a
# server's answers with those of a cache-off reference server.
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
LOAD="$BIN/pricelane-load"
BENCH="$BIN/pricelane-bench"

# gen_catalogue [DIR [ITEMS]]: a synthetic catalogue (pricelane-bench
# catalog: zone and store prices, scheduled prices, promotions of every kind,
# scale items) with its windows placed around a day ago and imported as of
# then, so no row takes effect while a test runs. Codes in $T/keys.
gen_catalogue() {
    local db=${1:-$T/db} items=${2:-400} at=$(($(date +%s) - 86400))
    "$BENCH" catalog --items "$items" --seed 11 --stores 4 --zones 2 --now "@$at" \
        --out "$T/cat.csv" --keys "$T/keys" >/dev/null
    "$LOAD" init --db "$db" >/dev/null
    "$LOAD" import --db "$db" --quiet --now "@$at" "$T/cat.csv"
}

# make_requests [COUNT]: $T/reqs, COUNT (default 300) lookups over the
# catalogue's codes: plain, per store (S001..S004), member, and every tenth
# a code that is in no catalogue or has a wrong check digit. NREQ is set.
make_requests() {
    local count=${1:-300}
    python3 - "$T/keys" "$count" >"$T/reqs" <<'EOF'
import sys
keys = [l.strip() for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
for i in range(n):
    k = keys[i % len(keys)]
    if i % 10 == 9:
        k = k[:-1] + str((int(k[-1]) + 1) % 10) if i % 20 == 9 else "69" + "%011d" % i
    opt = ""
    if i % 3 == 1:
        opt += " store=S00%d" % (1 + i % 4)
    if i % 5 == 2:
        opt += " member"
    print("GET %s%s" % (k, opt))
EOF
    NREQ=$(wc -l <"$T/reqs")
}

# ask PORT FILE: the answers to $T/reqs over one TCP connection.
ask() { plnet tcp "$1" --lines "$NREQ" <"$T/reqs" >"$2" || true; }

# same_as_reference DESCRIPTION PORT REFPORT: asks the server under test
# first (the very first requests after a restart are the interesting ones),
# then the reference; the answers must be equal byte for byte, nothing
# excluded. Should a price window switch between the two reads (the
# reference's own answers read before and after differ), the round is
# repeated, at most three times.
same_as_reference() {
    local desc=$1 port=$2 ref=$3 try n
    for try in 1 2 3; do
        ask "$port" "$T/got"
        ask "$ref" "$T/ref1"
        [ "$try" = 1 ] || ask "$port" "$T/got"
        ask "$ref" "$T/ref2"
        cmp -s "$T/ref1" "$T/ref2" && break
        echo "     (the reference's answers changed between two reads: a window switched; again)"
    done
    n=$(wc -l <"$T/got")
    if ! cmp -s "$T/ref1" "$T/ref2"; then
        bad "$desc: the reference server's answers kept changing"
    elif [ "$n" = "$NREQ" ] && cmp -s "$T/got" "$T/ref1"; then
        ok "$desc: $n answers byte-identical to the cache-off server"
    else
        bad "$desc: $n of $NREQ answers; differences from the cache-off server:"
        diff "$T/ref1" "$T/got" | head -10 | cut -c1-300 | sed 's/^/       /' || true
    fi
}

# wait_metric_at_least PORT NAME VALUE SECONDS
wait_metric_at_least() { wait_until "$4" metric_at_least "$1" "$2" "$3"; }
