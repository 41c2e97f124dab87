# vmplan suggest's exact solver: the summary's statement, --time-limit, plan.json's "solver".
. "$(dirname "$0")/lib.sh"

# Two VMs that each fit only spread over all three nodes: the solver places both. A model this
# small is solved in milliseconds; the generous limit keeps a busy machine from cutting it off
# (the budget is wall-clock).
host=(--synthetic "numa:3(memory=8GiB) core:5 pu:1" --reserve none)
vms=(--vm name=a,vcpus=7,memory=2G --vm name=b,vcpus=7,memory=4G)
run suggest "${host[@]}" "${vms[@]}" --time-limit 60 -o "$TMP/plan.json"
expect_status 0 "both placed"
expect_in out "2 of 2 VMs placed" "summary"
expect_in out "solver: optimal: placed 2 of 2 possible" "the solver's statement"
expect_true "plan.json carries it" grep -q '"status": "optimal"' "$TMP/plan.json"
run export "$TMP/plan.json" --format json --out-dir "$TMP/re"
expect_status 0 "plan.json with a solver key is read back"
expect_true "and kept" grep -q '"status": "optimal"' "$TMP/re/plan.json"

run suggest "${host[@]}" "${vms[@]}" --time-limit 0
expect_in out "solver: heuristic (no solver time left)" "--time-limit 0: the heuristic alone"

run suggest "${host[@]}" "${vms[@]}" --order given
expect_true "given order: no statement" not grep -q "solver:" "$TMP/out"

run suggest "${host[@]}" "${vms[@]}" --time-limit soon
expect_status 2 "a bad --time-limit"
expect_in err "bad --time-limit 'soon'" "says which"

# The fixture miss: nodes 1, 3, 5, 7 (16 GiB, 1 PU each) hold 4 vCPUs and 64 GiB exactly.
f=${VMPLAN_FIXTURES:-}/hwloc-xml/fakeheterodistances.xml
if [ -r "$f" ]; then
	run suggest --topology "$f" --reserve none --vm name=a,vcpus=4,memory=64G
	expect_status 0 "fakeheterodistances: placed on the empty host"
	expect_in out "1 of 1 VM placed" "fixture summary"
fi
finish
