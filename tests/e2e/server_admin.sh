#!/usr/bin/env bash
# The admin port stays usable for monitoring whatever clients do: 40 idle
# connections (more than its 32 slots) do not lock /healthz out, and while
# the server drains after SIGTERM /healthz answers "503 draining" until the
# last worker has finished. Both engines.
source "$(dirname "$0")/lib/common.bash"
make_catalogue

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server srv "$ENGINE" --drain-timeout 30 || rc=$?
    [ $rc = 77 ] && { echo "skip $ENGINE: not usable on this host"; continue; }
    [ $rc = 0 ] || exit 1

    # Idle connections to the admin port, more than it has slots.
    idle=()
    for i in $(seq 40); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$ADMIN"
        idle+=("$fd")
    done
    got=$(curl -s --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$ADMIN/healthz" || echo "no answer")
    check_match "$ENGINE /healthz with 40 idle admin connections open" "$got" "^ok generation=1 200$|^ok .* 200$"
    for fd in "${idle[@]}"; do exec {fd}<&-; done

    # A lane client that does not read its replies holds the drain open
    # (replies already due are sent until drain_timeout): it sends requests
    # until the kernel's buffers are full, then waits for a go to read.
    rm -f "$T/go" "$T/lane.out"
    timeout 60 python3 - "$PORT" "$T/go" "$T/lane.out" <<'PY' &
import os, socket, sys
sys.path.insert(0, os.path.join(os.environ["PL_SOURCE_DIR"], "tests/e2e/lib"))
from wallclock import sleep
port, go, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.setblocking(False)
sent = 0
req = b"GET 6901234567892\n" * 64
try:
    while True:
        sent += s.send(req)
except BlockingIOError:
    pass
with open(out + ".tmp", "w") as f:
    f.write("sent\n")
os.rename(out + ".tmp", out)
while not os.path.exists(go):
    sleep(0.05)
s.setblocking(True)
s.settimeout(30)
n = 0
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    n += d.count(b"\n")
with open(out, "a") as f:
    f.write("replies %d of %d\n" % (n, sent // len(b"GET 6901234567892\n")))
PY
    lp=$!
    PL_PIDS+=("$lp")
    wait_until 20 test -s "$T/lane.out" || true
    # Replies are due only once the server has read requests of that lane
    # and sent some of their replies: requests still in the kernel's buffer
    # when the drain begins are not read any more (a loop that took the stop
    # before the lane's input, as a loaded libuv worker can, answers none).
    wait_until 20 metric_at_least "$ADMIN" 'pricelane_sent_bytes_total{proto="tcp"}' 1 || true
    kill -TERM "$SPID"
    got=""
    wait_until 10 eval 'got=$(curl -s --max-time 2 -w " %{http_code}" "http://127.0.0.1:$ADMIN/healthz"); [[ "$got" == draining* ]]' || true
    check_eq "$ENGINE /healthz while draining" "$got" "draining
 503"
    touch "$T/go"
    wait "$lp" || true
    check_match "$ENGINE the drain sent the replies that were due" "$(cat "$T/lane.out")" "replies [1-9][0-9]* of"
    stop_server srv "$SPID"
    check_eq "$ENGINE exit status after the drain" "$STOP_RC" 0
done
finish
