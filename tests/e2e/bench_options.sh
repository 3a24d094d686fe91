#!/usr/bin/env bash
# pricelane-bench refuses bad option values: for every subcommand a malformed
# number, an out-of-range number and a malformed HOST:PORT (where it takes
# one) end in exit status 2 with one message naming the option and the bad
# text. Usage errors only: no server is started, nothing is sent. Every call
# ends in an unknown option as a safety net, so a value wrongly accepted
# still stops at a usage error (whose message then fails the check) instead
# of starting work; the calls that would otherwise need files name none.
source "$(dirname "$0")/lib/common.bash"
[ -x "$BIN/pricelane-bench" ] || { echo "skip: pricelane-bench not built"; exit 77; }
BENCH="$BIN/pricelane-bench"

# refused CMD OPTION VALUE [ARGS...]: CMD --OPTION VALUE must exit 2 and say
# `--OPTION "VALUE"` on stderr, and print nothing on stdout.
refused() {
    local cmd=$1 opt=$2 val=$3 rc=0 out err
    shift 3
    out=$(timeout 10 "$BENCH" "$cmd" "$@" "$opt" "$val" --not-an-option </dev/null 2>"$T/opt.err") || rc=$?
    err=$(head -c 400 "$T/opt.err")
    if [ "$rc" = 2 ] && grep -qF -- "$opt \"$val\"" "$T/opt.err" && [ -z "$out" ]; then
        ok "$cmd $opt '$val': exit 2, $err"
    else
        bad "$cmd $opt '$val': exit $rc, stderr '$err', stdout '${out:0:100}'"
    fi
}

refused catalog --items abc
refused catalog --items 0
refused catalog --items 100000001
refused catalog --seed -1
refused catalog --seed 18446744073709551616
refused catalog --stores 12x
refused catalog --zones 1000

refused run --conns abc
refused run --conns 1.5
refused run --conns 10001
refused run --depth 0
refused run --threads 257
refused run --rate fast
refused run --rate 0
refused run --rate 2G
refused run --duration 0.05
refused run --warmup -1
refused run --timeout ""
refused run --zipf-s nan
refused run --missing 1.5
refused run --scale 0x1
refused run --seed 12abc
refused run --server 127.0.0.1
refused run --server 127.0.0.1:0
refused run --server 127.0.0.1:65536
refused run --server 1.2.3:7070
refused run --server host.example:7070

refused echo-server --size abc
refused echo-server --size 39
refused echo-server --size 1401
refused echo-server --threads ""
refused echo-server --threads 65
refused echo-server --listen 127.0.0.1
refused echo-server --listen 127.0.0.1:port
refused echo-server --listen 256.0.0.1:0
refused echo-server --listen 127.0.0.1:-1

refused micro --sample abc
refused micro --sample 0
refused micro --rounds 1001
refused micro --rounds 2.5
refused micro --cache-mb 0
refused micro --cache-mb 65537
refused micro --seed " 7"
refused micro --only miss

refused fresh --items abc
refused fresh --items 65
refused fresh --conns 257
refused fresh --depth 0
refused fresh --duration 0
refused fresh --duration 1s
refused fresh --interval -1
refused fresh --nice 20
refused fresh --nice -21
refused fresh --server 127.0.0.1:
refused fresh --server :7070
refused fresh --server 127.0.0.1:70000

# kv-load has no numeric option: its addresses, port out of range included
refused kv-load --redis 127.0.0.1
refused kv-load --redis 127.0.0.1:99999
refused kv-load --memcached localhost:x
refused kv-load --memcached 10.0.0.0.1:11211

# the checks do not refuse good values: these stop at the safety net
# (exit 2 from the unknown option, no complaint about the values)
good() {
    local rc=0
    timeout 10 "$BENCH" "$@" --not-an-option </dev/null >/dev/null 2>"$T/opt.err" || rc=$?
    if [ "$rc" = 2 ] && ! grep -qE "expected (an integer|a number|HOST:PORT)" "$T/opt.err"; then
        ok "accepted: $*"
    else
        bad "accepted: $*: exit $rc, $(head -c 300 "$T/opt.err")"
    fi
}
good run --rate 50k --conns 1k --depth 16 --threads 2 --seed 1M --duration 1.5 --warmup 0 \
    --timeout 0.5 --zipf-s 0.99 --missing 0.05 --scale .05 --server localhost:7070
good echo-server --listen 127.0.0.1:0 --size 340 --threads 1
good fresh --server 127.0.0.1:7070 --nice -5 --interval 0.5 --duration 20 --items 64 --conns 256
good micro --sample 100000 --rounds 1000 --cache-mb 65536 --seed 18446744073709551615 --only hit_2d
good catalog --items 100000000 --seed +3 --stores 999 --zones 1
good kv-load --redis 127.0.0.1:6379

finish
