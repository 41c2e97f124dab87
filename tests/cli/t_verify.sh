# vmplan verify end to end: usage errors and a plan whose domains do not run (exit 4).
. "$(dirname "$0")/lib.sh"
PLAN="$VMPLAN_SOURCE_DIR/tests/golden/full/plan.json"

# A fresh test driver has none of the plan's domains: every placed VM is a mismatch.
run verify "$PLAN" --connect test:///default
expect_status 4 "domains missing"
expect_in out "vm rt: 1 mismatch" "rt reported"
expect_in out "planned defined and running, found not defined" "what was expected"
expect_in out "vm big: not placed, not checked" "unplaced VM named"
expect_in out "2 mismatches" "summary"

run verify "$PLAN" --connect test:///default --json
expect_status 4 "--json keeps the exit status"
expect_in out '"mismatches": [' "mismatch list in JSON"
expect_in out '"expected": "defined and running"' "each mismatch's expectation"
expect_in out '"checked": false' "the unplaced VM is not checked"

run verify "$PLAN"
expect_status 2 "no --connect"
expect_in err "verify needs --connect URI" "why"
run verify "$PLAN" --connect test:///default --proc maybe
expect_status 2 "bad --proc"
run verify "$TMP/none.json" --connect test:///default
expect_status 2 "missing plan"
run verify "$PLAN" --connect bogus+x:///nothing
expect_status 1 "no connection"
expect_in err "cannot connect to 'bogus+x:///nothing'" "connection named"
run verify --help
expect_status 0 "--help"
expect_in out "Exit status 0 when everything matches, 4" "exit status documented"

finish
