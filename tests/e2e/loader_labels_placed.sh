#!/usr/bin/env bash
# The label's second step: a printed reprint is placed on the shelf (labels
# placed JOB... | --batch | --file CSV or JSON Lines). Answers say which step
# is outstanding (label_step "print", then "place", then null); labels printed
# is ack's other name; placing before the print, after --now, twice, an
# unknown job or a bad file is an error that places nothing. Every instant is
# given (--now, --at).
source "$(dirname "$0")/lib/loader.bash"

DB=$T/db
base_catalogue "$DB"
# at SKU TIME FIELD → a field of the answer (a string, number, boolean or
# null; read in bash: no interpreter start per check on a loaded machine)
at() {
    local a
    a=$(answer "$DB" "$1" --at "$2")
    if [[ $a =~ \"$3\":\"([^\"]*)\" ]] || [[ $a =~ \"$3\":([-0-9a-z.]+) ]]; then
        echo "${BASH_REMATCH[1]}"
    fi
}
# job SKU → the id of SKU's pending job (sku is the export's fifth column)
job() { "$LOAD" labels export --db "$DB" | awk -F, -v s="$1" '$5 == s { print $1 }'; }
LATER='2026-03-03T10:00:00+08:00'

printf 'op,sku,price\nprice,A1,3.50\nprice,A2,7.00\nprice,A3,9.90\n' >"$T/p1.csv"
run "$LOAD" apply --db "$DB" --now "$NOW1" "$T/p1.csv"
check_eq "apply: exit 0" "$RC" 0
J1=$(job A1) J2=$(job A2) J3=$(job A3)
check_eq "due: label_step print" "$(at A1 "$NOW1" label_step)" print

run "$LOAD" labels printed --db "$DB" --now "$NOW1" "$J1" "$J2"
check_eq "printed: exit 0" "$RC" 0
check_contains "printed: says acked" "$OUT" "acked 2 label jobs"
check_eq "printed: label_pending false" "$(at A1 "$NOW1" label_pending)" false
check_eq "printed: label_step place" "$(at A1 "$NOW1" label_step)" place
check_eq "printed: label_price the printed price" "$(at A1 "$NOW1" label_price)" 350
run "$LOAD" labels list --db "$DB" --all
check_match "list --all: the job is printed, not placed" "$OUT" "$J1 +printed"
to_place() { "$LOAD" labels export --db "$DB" --to-place | tail -n +2 | cut -d, -f1 | tr -d '\r' | sort | tr '\n' ' '; }
check_eq "export --to-place: the two printed jobs" "$(to_place)" "$(printf '%s\n' "$J1" "$J2" | sort | tr '\n' ' ')"
run "$LOAD" labels list --db "$DB" --to-place
check_contains "list --to-place: counts them" "$OUT" "2 printed, not placed label jobs"

# Errors: nothing placed.
run "$LOAD" labels placed --db "$DB" --now "$NOW1" "$J1" 99999
check_eq "placed unknown: exit 1" "$RC" 1
check_contains "placed unknown: names it" "$OUT" "job 99999: no such label job"
check_contains "placed unknown: nothing placed" "$OUT" "nothing was placed"
check_eq "placed unknown: the good one is not placed" "$(at A1 "$NOW1" label_step)" place
printf 'job,placed_at\n%s,2026-03-03 08:00\n' "$J1" >"$T/early.csv"
run "$LOAD" labels placed --db "$DB" --now "$LATER" --file "$T/early.csv"
check_eq "placed before the print: exit 1" "$RC" 1
check_contains "placed before the print: says so" "$OUT" "job $J1: placed at 2026-03-03T08:00:00+08:00, before it was printed"
printf 'job,placed_at\n%s,2026-03-03 11:00\n' "$J1" >"$T/late.csv"
run "$LOAD" labels placed --db "$DB" --now "$LATER" --file "$T/late.csv"
check_contains "placed after now: says so" "$OUT" "after now"
printf 'job,placed_at\n%s,\n%s,\nx,\n' "$J1" "$J1" >"$T/bad.csv"
run "$LOAD" labels placed --db "$DB" --now "$LATER" --file "$T/bad.csv"
check_eq "bad file: exit 1" "$RC" 1
check_contains "bad file: a job twice, with its line" "$OUT" "bad.csv:3:job: job $J1 is placed twice"
check_contains "bad file: a job id that is no number" "$OUT" "bad.csv:4:job"
run "$LOAD" labels placed --db "$DB" --now "$LATER" --file "$T/nope.csv"
check_eq "missing file: exit 1" "$RC" 1
run "$LOAD" labels placed --db "$DB" --now "$LATER" --file "$T/bad.csv" "$J1"
check_eq "--file and ids: usage error" "$RC" 2
run "$LOAD" labels ack --db "$DB" --now "$LATER" --file "$T/bad.csv"
check_eq "ack --file: usage error" "$RC" 2
check_eq "after the errors: still to place" "$(at A1 "$LATER" label_step)" place

# A CSV placement with its instant, a JSON Lines one at --now.
printf 'job,placed_at\n%s,2026-03-03 09:30\n' "$J1" >"$T/ok.csv"
g=$(gen "$DB")
run "$LOAD" labels placed --db "$DB" --now "$LATER" --file "$T/ok.csv"
check_eq "placed --file csv: exit 0" "$RC" 0
check_contains "placed --file csv: says so" "$OUT" "placed 1 label job"
check_eq "placed: generation + 1" "$(gen "$DB")" $((g + 1))
check_eq "placed: label_step null" "$(at A1 "$LATER" label_step)" null
check_eq "placed: label_pending false" "$(at A1 "$LATER" label_pending)" false
run "$LOAD" labels list --db "$DB" --all
check_match "list --all: placed, with the instant" "$OUT" "$J1 +placed .*2026-03-03T09:30:00\+08:00"
printf '{"job":%s}\n' "$J2" >"$T/ok.jsonl"
run "$LOAD" labels placed --db "$DB" --now "$LATER" --file "$T/ok.jsonl"
check_eq "placed --file jsonl: exit 0" "$RC" 0
check_eq "placed jsonl: label_step null" "$(at A2 "$LATER" label_step)" null
check_eq "export --to-place: none left" "$(to_place)" ""
run "$LOAD" labels placed --db "$DB" --now "$LATER" "$J1"
check_eq "placed twice: exit 1" "$RC" 1
check_contains "placed twice: names the instant" "$OUT" "job $J1: already placed at 2026-03-03T09:30:00+08:00"

# An electronic label: placed while pending, printed at the same instant.
run "$LOAD" labels placed --db "$DB" --now "$LATER" --batch p1
check_eq "placed --batch: exit 0" "$RC" 0
check_contains "placed --batch: the one left" "$OUT" "placed 1 label job"
check_eq "placed --batch: A3 needs nothing" "$(at A3 "$LATER" label_step)/$(at A3 "$LATER" label_price)" null/990
run "$LOAD" labels list --db "$DB" --all
check_match "list --all: the pending job placed" "$OUT" "$J3 +placed"
run "$LOAD" verify --db "$DB"
check_eq "verify after placements: exit 0" "$RC" 0
finish
