# vmplan verify end to end: usage errors and a plan whose domains do not run (exit 4).
. "$(dirname "$0")/lib.sh"
PLAN="$VMPLAN_SOURCE_DIR/tests/golden/full/plan.json"

# A fresh test driver has none of the plan's domains: every placed VM is a mismatch.
run verify "$PLAN" --connect test:///default --force
expect_status 4 "domains missing"
expect_in out "vm rt: 1 mismatch" "rt reported"
expect_in out "planned defined and running, found not defined" "what was expected"
expect_in out "vm big: not placed, not checked" "unplaced VM named"
expect_in out "2 mismatches" "summary"

run verify "$PLAN" --connect test:///default --force --json
expect_status 4 "--json keeps the exit status"
expect_in out '"mismatches": [' "mismatch list in JSON"
expect_in out '"expected": "defined and running"' "each mismatch's expectation"
expect_in out '"checked": false' "the unplaced VM is not checked"

# The test driver's running domain "test" has 2 vCPUs: a plan with 1 is a mismatch, found
# from the domain's vCPU count, not cut down to the plan's.
run suggest --connect test:///default --vm name=test,vcpus=1,memory=64M -o "$TMP/one.json"
expect_status 0 "a plan for the test domain"
run verify "$TMP/one.json" --connect test:///default
expect_status 4 "more vCPUs than planned"
expect_in out "vcpus                    libvirt  planned 1, found 2" "the vCPU count named"
# Its QEMU threads are not on this host: auto says so, yes refuses.
expect_in out "note: the QEMU threads of 1 running VM were not read from /proc: 'test:///default' is not a local QEMU URI" \
	"auto notes the unread /proc"
run verify "$TMP/one.json" --connect test:///default --json
expect_in out '"proc_skipped": 1' "JSON counts the unread VM"
run verify "$TMP/one.json" --connect test:///default --proc yes
expect_status 2 "--proc yes with a URI that is not local"
expect_in err "cannot read the QEMU threads of 'test:///default' from /proc: not a local QEMU URI" \
	"why --proc yes is refused"

run verify "$PLAN"
expect_status 2 "no --connect"
expect_in err "verify needs --connect URI" "why"
run verify "$PLAN" --connect test:///default --proc maybe
expect_status 2 "bad --proc"
run verify "$TMP/none.json" --connect test:///default
expect_status 2 "missing plan"
run verify "$PLAN" --connect bogus+x:///nothing
expect_status 1 "no connection"
expect_in err "cannot connect to libvirt at 'bogus+x:///nothing'" "connection named"
run verify --help
expect_status 0 "--help"
expect_in out "Exit status 0 when everything matches, 4" "exit status documented"

finish
