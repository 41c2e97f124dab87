# vmplan export --json: what was printed, written, merged or defined, as JSON.
. "$(dirname "$0")/lib.sh"
PLAN="$VMPLAN_SOURCE_DIR/tests/golden/full/plan.json"

run export "$PLAN" --json
expect_status 0 "export --json"
expect_in out '"action": "print"' "printed documents reported"
expect_in out '"file": "rt.xml"' "with their file names"
expect_in out '"content": "<?xml' "the document inside"
expect_true "no bare XML on stdout" not grep -q '^<domain' "$TMP/out"

# Salt cannot turn secure boot on: a copy of the plan without it.
sed 's/"secure_boot": true/"secure_boot": false/' "$PLAN" >"$TMP/nosecure.json"
run export "$TMP/nosecure.json" --format salt --out-dir "$TMP/salt" --json
expect_status 0 "export --out-dir --json"
expect_in out "\"path\": \"$TMP/salt/vmplan.sls\"" "written file reported"
expect_true "file written" test -s "$TMP/salt/vmplan.sls"

run export "$PLAN" --define test:///default --force --dry-run --json
expect_status 0 "define --dry-run --json"
expect_in out '"action": "dry run"' "a dry run says so"
expect_in out '"result": "would be created"' "what the real run will do, in one field"
expect_true "no split action/result" not grep -q '"action": "would be"' "$TMP/out"
expect_in out '"diff": "--- /dev/null' "the diff"
expect_in out '"action": "not placed"' "unplaced VM listed"

# The test driver's domain "test" runs: an update says when it takes effect.
run suggest --synthetic "node:2 core:4 pu:2" --reserve none --vm name=test,vcpus=2,memory=256M \
	-o "$TMP/running.json"
expect_status 0 "plan for the running domain"
run export "$TMP/running.json" --define test:///default --force --out-dir "$TMP/bak"
expect_status 0 "define over a running domain"
expect_in out "test: updated" "updated"
expect_in out "test is running: the new tuning takes effect when it next starts" "running noted"
run export "$TMP/running.json" --define test:///default --force --out-dir "$TMP/bak" --json
expect_in out '"running": true' "running in JSON"

run export "$PLAN" --json --format nonsense
expect_status 2 "usage errors keep their status"

finish
