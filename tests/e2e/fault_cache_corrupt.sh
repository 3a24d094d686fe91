#!/usr/bin/env bash
# A damaged shared-memory segment, damaged while no server runs: random
# bytes over the header, another layout version / slot size / slot count /
# catalogue with a valid header checksum, a truncated file, a segment of
# another size, random bytes over slots, and bytes changed inside the values
# of stored entries. Each is detected when pricelaned starts: a bad header
# re-initializes the segment (counted in pricelane_cache_reinits_total, and
# no request is answered from the old bytes: the first round of lookups
# makes no cache hit); damaged slots are never served. In every case the
# answers equal a cache-off server's byte for byte. An intact segment, as a
# control, is reused (hits at once, no re-initialization). The server maps
# the segment and the catalogue's file ahead of its lookups.
source "$(dirname "$0")/lib/fault.bash"
gen_catalogue
make_requests 300
CACHE=$T/cache
SEED=${PL_CORRUPT_SEED:-$(date +%s)}
echo "     seed $SEED (rerun with PL_CORRUPT_SEED=$SEED)"

# randbytes OFFSET COUNT: overwrites COUNT bytes at OFFSET with seeded random
# bytes, each one different from the byte it replaces (a random byte equal to
# the old one would leave a one-byte damage undone, one seed in 256).
randbytes() {
    python3 -c 'import random, sys
path, off, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = random.Random(seed)
with open(path, "r+b") as f:
    f.seek(off)
    old = f.read(n)
    f.seek(off)
    f.write(bytes(b ^ (1 + r.randrange(255)) for b in old))' "$CACHE" "$1" "$2" "$SEED"
}

# values CHANGE: changes one byte in the value of every stored entry (the
# slot header, key and length left intact, as a stray write into the middle
# of an entry would), or, for CHANGE=price, adds 1 to every 8-byte word of
# a view that holds a plausible price, and changes the last digit of the
# price in a finished answer (key "A..."; its JSON text). Prints the number
# of entries.
# Slot layout (core/cache.c): 4096-byte header page, 1024-byte slots; words
# seq, hash, gen, stamp, len (key length | value length << 16), 72 bytes of
# key, then the value.
values() {
    python3 -c 'import random, struct, sys
path, how, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = random.Random(seed)
data = bytearray(open(path, "rb").read())
n = 0
for off in range(4096, len(data), 1024):
    seq, = struct.unpack_from("<Q", data, off)
    if seq == 0 or seq & 1:
        continue
    lens, = struct.unpack_from("<Q", data, off + 32)
    vl = (lens >> 16) & 0xffff
    v = off + 40 + 72
    if vl == 0 or v + vl > off + 1024:
        continue
    n += 1
    kl = lens & 0xffff
    if how == "byte":
        i = v + r.randrange(vl)
        data[i] ^= 1 << r.randrange(8)
    elif kl and data[off + 40] == ord("A"):
        p = data.find(b"\"price\":", v, v + vl)
        if p >= 0:
            e = p + 8
            while e < v + vl and chr(data[e]).isdigit():
                e += 1
            if e > p + 8:
                data[e - 1] = ord("0") + (data[e - 1] - ord("0") + 1) % 10
    else:
        for w in range(v, v + vl - 7, 8):
            x, = struct.unpack_from("<q", data, w)
            if 100 <= x <= 10000000:
                struct.pack_into("<q", data, w, x + 1)
open(path, "r+b").write(bytes(data))
print(n)' "$CACHE" "$1" "$SEED"
}

for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server ref "$ENGINE" --cache-mb 0 --memo-mb 0 --cache-path "$T/unused" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    REF=$PORT; REFPID=$SPID

    # A segment full of this catalogue's entries, saved while no server runs.
    rm -f "$CACHE"
    # views and finished answers (--cache-answers on), both damaged below
    rc=0; start_server prime "$ENGINE" --cache-mb 4 --cache-path "$CACHE" --cache-answers on || rc=$?
    [ $rc = 0 ] || exit 1
    same_as_reference "$ENGINE fresh segment" "$PORT" "$REF"
    stop_server prime "$SPID"
    cp "$CACHE" "$T/good.seg"
    size=$(stat -c %s "$T/good.seg")
    check_eq "$ENGINE the saved segment header is intact" "$("$BIN/cachehdr" "$T/good.seg" | awk '{ print $NF }')" ok

    # case NAME WANT_REINITS WANT_FIRST_HITS(0|some) DAMAGE...
    case_() {
        local name=$1 want_reinit=$2 want_hits=$3 n hits got
        shift 3
        cp "$T/good.seg" "$CACHE"
        "$@" >/dev/null
        rc=0; start_server seg "$ENGINE" --cache-mb 4 --cache-path "$CACHE" --cache-answers on || rc=$?
        [ $rc = 0 ] || { bad "$ENGINE $name: pricelaned did not start"; return; }
        ask "$PORT" "$T/first"
        hits=$(cache_hits "$ADMIN")
        [ "$hits" -gt 0 ] && hits=some
        [ "$want_hits" = any ] && hits=any
        check_eq "$ENGINE $name: re-initializations, hits in the first round" \
            "$(metric "$ADMIN" pricelane_cache_reinits_total) $hits" "$want_reinit $want_hits"
        same_as_reference "$ENGINE $name" "$PORT" "$REF"
        if ! cmp -s "$T/first" "$T/ref1"; then
            bad "$ENGINE $name: the first round differs from the cache-off server:"
            diff "$T/ref1" "$T/first" | head -6 | cut -c1-300 | sed 's/^/       /'  || true
        fi
        stop_server seg "$SPID"
        check_eq "$ENGINE $name: exit status" "$STOP_RC" 0
    }
    case_ "intact segment (control)" 0 some true
    case_ "random bytes over the first 64 header bytes" 1 0 randbytes 0 64
    case_ "random bytes over the whole header page" 1 0 randbytes 0 4096
    case_ "one header byte changed (magic)" 1 0 randbytes 3 1
    v=$("$BIN/cachehdr" "$T/good.seg" | sed 's/.* version=\([0-9]*\) .*/\1/')
    case_ "an older layout version, valid checksum" 1 0 "$BIN/cachehdr" "$CACHE" version $((v - 1))
    case_ "a newer layout version, valid checksum" 1 0 "$BIN/cachehdr" "$CACHE" version $((v + 1))
    case_ "slot size 512, valid checksum" 1 0 "$BIN/cachehdr" "$CACHE" slot_size 512
    case_ "slot count doubled, valid checksum" 1 0 "$BIN/cachehdr" "$CACHE" nslots 8192
    case_ "another catalogue's segment, valid checksum" 1 0 "$BIN/cachehdr" "$CACHE" catalog_id 12345
    case_ "truncated to half" 1 0 truncate -s $((size / 2)) "$CACHE"
    case_ "truncated inside the header" 1 0 truncate -s 100 "$CACHE"
    case_ "truncated to one byte" 1 0 truncate -s 1 "$CACHE"
    case_ "grown by a page" 1 0 truncate -s $((size + 4096)) "$CACHE"
    case_ "empty file (a new segment, set up in place)" 0 0 truncate -s 0 "$CACHE"
    case_ "random bytes over every slot" 0 0 randbytes 4096 $((size - 4096))
    cp "$T/good.seg" "$CACHE"
    echo "     the saved segment holds $(values byte) entries"
    case_ "one bit flipped in every stored value" 0 0 values byte
    case_ "every price in every stored value off by one" 0 0 values price

    # A different size asked for: the segment is rebuilt at that size.
    cp "$T/good.seg" "$CACHE"
    rc=0; start_server resized "$ENGINE" --cache-mb 8 --cache-path "$CACHE" || rc=$?
    [ $rc = 0 ] || exit 1
    check_eq "$ENGINE --cache-mb changed: re-initialized at the new size" \
        "$(metric "$ADMIN" pricelane_cache_reinits_total) $(stat -c %s "$CACHE")" "1 $((4096 + 8 * 1024 * 1024))"
    same_as_reference "$ENGINE --cache-mb changed" "$PORT" "$REF"
    # the whole file mapped ahead by the server's idle-class thread (where
    # a sandbox refuses that class the server maps nothing ahead)
    if chrt -i 0 true 2>/dev/null; then
        mapped() { [ "$(metric "$ADMIN" pricelane_cache_mapped_ahead_bytes)" = "$(stat -c %s "$CACHE")" ]; }
        wait_until 60 mapped
        check_eq "$ENGINE the segment mapped ahead" \
            "$(metric "$ADMIN" pricelane_cache_mapped_ahead_bytes)" "$((4096 + 8 * 1024 * 1024))"
        # and the catalogue's file, read and mapped ahead the same way
        catmapped() { [ "$(metric "$ADMIN" pricelane_catalog_mapped_ahead_bytes)" = "$(stat -c %s "$T/db/data.mdb")" ]; }
        wait_until 60 catmapped
        check_eq "$ENGINE the catalogue mapped ahead" \
            "$(metric "$ADMIN" pricelane_catalog_mapped_ahead_bytes)" "$(stat -c %s "$T/db/data.mdb")"
    else
        echo "     skipped: the idle scheduling class is refused here"
    fi
    stop_server resized "$SPID"
    stop_server ref "$REFPID"
done
finish
