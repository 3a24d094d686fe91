# Shared by tests/e2e/dist_*.sh: real nats-server processes with JetStream on
# 127.0.0.1, their storage under $T, and the chain's catalogues
# (headquarters, stores). Source after lib/common.bash. Every wait is
# bounded; common.bash's trap kills what is still running.
NATS_SERVER=${PL_NATS_SERVER:-/usr/sbin/nats-server}
[ -x "$NATS_SERVER" ] || { echo "nats-server missing (ops/install-deps installs it)"; exit 1; }
LOAD="$BIN/pricelane-load"

# start_nats NAME [PORT [ARGS...]]: starts a JetStream server (storage
# $T/NAME.js, log $T/NAME.log) on PORT (default: an ephemeral one) and waits
# for it to be ready. Sets NATS_PID_<NAME> and NATS_PORT_<NAME>.
start_nats() {
    local name=$1 port=${2:--1} p
    shift $(($# < 2 ? $# : 2))
    : >"$T/$name.log"
    "$NATS_SERVER" -js -a 127.0.0.1 -p "$port" -sd "$T/$name.js" -n "$name" \
        -l "$T/$name.log" "$@" &
    p=$!
    PL_PIDS+=("$p")
    eval "NATS_PID_$name=$p"
    if ! wait_until 20 grep -q "Server is ready" "$T/$name.log"; then
        echo "nats-server $name did not become ready:"
        tail -20 "$T/$name.log"
        return 1
    fi
    port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/$name.log" | tail -1)
    eval "NATS_PORT_$name=$port"
}

# stop_nats NAME [SIGNAL]: stops it (default SIGTERM) and waits (bounded).
stop_nats() {
    local pidv="NATS_PID_$1" pid
    pid=${!pidv}
    kill "-${2:-TERM}" "$pid" 2>/dev/null || true
    timeout 20 tail -s 0.05 --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# stop_all_nats: SIGTERM to every server still running (bounded waits).
stop_all_nats() {
    local v
    for v in ${!NATS_PID_*}; do
        kill -0 "${!v}" 2>/dev/null && stop_nats "${v#NATS_PID_}"
    done
    return 0
}

# A chain's catalogue: created empty, everything else arrives in batches.
new_catalogue() { "$LOAD" init --db "$1" >/dev/null; }

# start_follower NAME DB URL ZONE STORE: a follower in the background (output
# $T/NAME.out, $T/NAME.err); sets FPID.
start_follower() {
    "$LOAD" follow --db "$2" --nats "$3" --zone "$4" --store "$5" >>"$T/$1.out" 2>>"$T/$1.err" &
    FPID=$!
    PL_PIDS+=("$FPID")
}

# applied_seq DB: the stream sequence the catalogue has applied.
applied_seq() { "$LOAD" follow --status --db "$1" | awk '$1 == "applied:" { print $2 }'; }
# stream_head DB URL ZONE: the head of the zone's stream, asked of the server.
stream_head() {
    "$LOAD" follow --status --db "$1" --nats "$2" --zone "$3" | awk '$1 == "head:" { print $2 }'
}
seq_is() { [ "$(applied_seq "$1")" = "$2" ]; } # DB SEQ
# generation DB: the catalogue's price generation (a lookup's gen field;
# the code need not name an item).
generation() {
    { "$BIN/pricelane" lookup --db "$1" 100001 || true; } |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["gen"])'
}
