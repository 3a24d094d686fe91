# Shared by tests/e2e/server_*.sh: a scratch directory, a catalogue, starting
# and stopping pricelaned on 127.0.0.1 with ephemeral ports, and checks that
# print what they verified. Every wait is bounded; the trap kills whatever
# server is still running.
set -euo pipefail
BIN=${PL_BIN:?}
SRC=${PL_SOURCE_DIR:?}
T=$(mktemp -d)
PL_PIDS=()
cleanup() {
    local p
    for p in "${PL_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
fails=0
checks=0
ENGINES=${PL_ENGINES:-uring uv}
plnet() { timeout 60 python3 "$SRC/tests/e2e/lib/plnet.py" "$@"; }

# redis-cli reads no price and needs no faked clock; under tests/clock.sh
# its allocator (jemalloc) calls clock_gettime before libfaketime has set
# itself up, and it would hang, so it runs on the real clock (bounded).
rcli() { timeout 10 env -u LD_PRELOAD -u FAKETIME redis-cli "$@"; }

ok() { checks=$((checks + 1)); echo "ok   $*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $*"; }
check_eq() { # DESCRIPTION GOT WANT
    local shown=${3//$'\n'/|}
    [ ${#shown} -gt 70 ] && shown="${shown:0:67}..."
    if [ "$2" = "$3" ]; then ok "$1: $shown"; else bad "$1: got '$2', want '$3'"; fi
}
check_match() { # DESCRIPTION TEXT REGEX
    if [[ "$2" =~ $3 ]]; then ok "$1"; else bad "$1: '$2' does not match /$3/"; fi
}
field() { # JSON FIELD → value (null, true/false, numbers and strings as text)
    python3 -c 'import json,sys
v=json.loads(sys.argv[1]).get(sys.argv[2])
print("null" if v is None else (str(v).lower() if isinstance(v,bool) else v))' "$1" "$2"
}
finish() {
    if [ "$fails" != 0 ]; then
        local f
        for f in "$T"/*.err; do
            [ -s "$f" ] && { echo "--- $(basename "$f"):"; head -50 "$f"; }
        done
    fi
    echo "$(basename "$0" .sh): $checks checks, $fails failed"
    [ "$fails" = 0 ]
}

# fixture TEMPLATE [ANCHOR]: a fixture of tests/data/ with its instants
# written relative to ANCHOR (@EPOCH or YYYY-MM-DD; default: the run's
# clock), expanded into $T; prints the file's path (tests/e2e/lib/fixture.py).
fixture() {
    local out=$T/$(basename "$1" .in)
    python3 "$SRC/tests/e2e/lib/fixture.py" ${2:+--anchor "$2"} "$SRC/tests/data/$1" >"$out"
    echo "$out"
}

# The sample's promotions are relative to the run's clock: the flyer starts
# tomorrow at 08:00, the member and zone promotions are in force. The import
# is dated a day back: fields such as low_7d look at the past, and a
# catalogue imported this very second would answer differently one second
# later, making answers taken a moment apart differ.
make_catalogue() { # [DIR]
    local db=${1:-$T/db} now
    now=$(date +%s)
    "$BIN/pricelane-load" init --db "$db" >/dev/null
    "$BIN/pricelane-load" import --db "$db" --now "@$((now - 86400))" \
        "$(fixture small.csv.in "@$now")" >/dev/null
}

# start_server NAME ENGINE [FLAGS...]: starts pricelaned (under $PL_WRAP, a
# command prefix, if set) and waits (bounded) for its ready line. Sets PORT, ADMIN, SPID
# (and CIT, the price checkers' port, when it was asked for). Returns 77 when the engine is
# not usable on this host (io_uring refused), 1 on any other failure.
start_server() {
    local name=$1 engine=$2 line fd
    shift 2
    rm -f "$T/$name.fifo"
    mkfifo "$T/$name.fifo"
    ${PL_WRAP:-} "$BIN/pricelaned" --db "$T/db" --listen 127.0.0.1:0 --admin 127.0.0.1:0 --threads 2 \
        --engine "$engine" --cache-path "$T/cache" "$@" >"$T/$name.fifo" 2>"$T/$name.err" &
    SPID=$!
    PL_PIDS+=("$SPID")
    exec {fd}<"$T/$name.fifo"
    eval "FD_$name=$fd"
    if ! read -r -t 15 -u "$fd" line; then
        if grep -q "not usable" "$T/$name.err"; then return 77; fi
        echo "pricelaned ($name, $engine) did not become ready:"
        cat "$T/$name.err"
        return 1
    fi
    PORT=$(sed -n 's/.* tcp=127\.0\.0\.1:\([0-9]*\) .*/\1/p' <<<"$line")
    ADMIN=$(sed -n 's/.* admin=127\.0\.0\.1:\([0-9]*\) .*/\1/p' <<<"$line")
    local udp=$(sed -n 's/.* udp=127\.0\.0\.1:\([0-9]*\) .*/\1/p' <<<"$line")
    CIT=$(sed -n 's/.* cit=127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line") # when --cit-listen
    [ -n "$PORT" ] && [ "$PORT" = "$udp" ] && [ -n "$ADMIN" ] || {
        echo "bad ready line: $line"
        return 1
    }
    echo "     started $name: $line"
}

# stop_server NAME PID: SIGTERM and a bounded wait; the exit status goes to
# STOP_RC (the caller's shell must do the wait: it is the parent).
stop_server() {
    local name=$1 pid=$2 fdv="FD_$1"
    STOP_RC=0
    kill -TERM "$pid" 2>/dev/null || true
    if ! timeout 20 tail -s 0.05 --pid="$pid" -f /dev/null; then
        echo "     $name did not exit within 20 s of SIGTERM: killed"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" || STOP_RC=$?
    local fdnum=${!fdv:-}
    if [ -n "$fdnum" ]; then eval "exec $fdnum<&-"; fi
}

metric() { # ADMIN_PORT 'name{labels}' → value (0 when absent)
    local v
    v=$(curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k { print $2 }')
    echo "${v:-0}"
}

# Shared-cache hits of both kinds: views, and finished answers.
cache_hits() { # ADMIN_PORT
    echo $(($(metric "$1" pricelane_cache_hits_total) + $(metric "$1" pricelane_cache_answer_hits_total)))
}

metric_equals() { [ "$(metric "$1" "$2")" = "$3" ]; } # ADMIN_PORT NAME VALUE
metric_at_least() { [ "$(metric "$1" "$2")" -ge "$3" ]; } # ADMIN_PORT NAME VALUE

# wait_until SECONDS CMD...: re-runs CMD until it succeeds or SECONDS pass
# (for conditions the server reaches asynchronously, e.g. a gauge falling
# back to 0 after a client vanished). Returns CMD's last status. The deadline
# is bash's own SECONDS counter: nanoseconds since the epoch (date +%s%N)
# overflow a shell integer in the years the faked-clock runs reach.
wait_until() {
    local limit=$1 end
    shift
    end=$((SECONDS + limit + 1))
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}
