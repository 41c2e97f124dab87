# vmplan bench end to end on this host: the quick two-VM bench, history, JSON, refusals, --validate.
. "$(dirname "$0")/lib.sh"

Q="--reps 2 --seconds 0.05"

run suggest --reserve none --vm name=a,vcpus=1,memory=64M --vm name=b,vcpus=1,memory=64M \
	-o "$TMP/plan.json"
if [ "$status" -ne 0 ]; then
	echo "SKIP: this host cannot place two 1-vCPU VMs (status $status)"
	exit 77
fi

# The quick bench: a table, placement checked, results stored, JSON written.
run bench "$TMP/plan.json" $Q --history "$TMP/h.db" -o "$TMP/results.json"
checks=$((checks + 1))
[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "bench: exit status $status, expected 0 or 5"
expect_in out "plan median (min-max)" "the table's header"
expect_in out "compute*" "the default workload (no profile: compute), marked primary"
expect_in out "unpinned" "the unpinned baseline"
expect_in out "naive" "the naive baseline"
expect_in out "placement: 6 of 6 checks ok" "2 vCPUs, 2 emulators, 2 cells where planned"
expect_in out "gate: " "the gate's verdict"
expect_in out "stored in $TMP/h.db" "history stored"
expect_true "results.json written" test -s "$TMP/results.json"
expect_true "results.json has results" grep -q '"metric": "ops_per_s"' "$TMP/results.json"
expect_true "results.json has checks" grep -q '"kind": "vcpu"' "$TMP/results.json"
if command -v python3 >/dev/null; then
	expect_true "results.json is JSON with 6 results" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == 1 and len(d["results"]) == 6, d
assert all(c["ok"] for c in d["checks"]), d["checks"]
' "$TMP/results.json"
fi
if command -v sqlite3 >/dev/null; then
	expect_true "history: one run, six results" test "$(sqlite3 "$TMP/h.db" \
		'SELECT COUNT(*) FROM runs; SELECT COUNT(*) FROM results; SELECT value FROM meta')" \
		= "$(printf '1\n6\n1')"
fi

# A second run compared with the first; --json prints the same document.
run bench "$TMP/plan.json" $Q --workload compute,latency --baseline unpinned --history "$TMP/h.db" \
	--compare-last 3 --threshold 50
checks=$((checks + 1))
case $status in 0 | 5 | 6) ;; *) fail "bench --compare-last: exit status $status" ;; esac
expect_in out "history: 2 metrics compared" "the plan's compute of a and b (latency is new)"
run bench "$TMP/plan.json" $Q --baseline naive --workload latency --json
checks=$((checks + 1))
[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "bench --json: exit status $status"
expect_in out '"workloads": "latency"' "--json prints the results"
expect_in out '"variant": "naive"' "the naive baseline alone"

# A gate that judged nothing does not pass: c2c gives a VM of one vCPU no figure.
run bench "$TMP/plan.json" --reps 1 --seconds 0.02 --baseline unpinned --workload c2c \
	-o "$TMP/c2c.json"
expect_status 5 "c2c alone for VMs of one vCPU: nothing judged"
expect_in out "gate: FAIL" "the gate does not pass"
expect_in out "vm a: not judged" "a is named"
expect_in out "vm b: not judged" "and b"
expect_true "no pass claimed" not grep -q "gate: pass" "$TMP/out"
if command -v python3 >/dev/null; then
	expect_true "results.json: no pass, a and b not judged" python3 -c '
import json, sys
g = json.load(open(sys.argv[1]))["gate"]
assert not g["pass"] and g["items"] == [] and g["not_judged"] == ["a", "b"], g
' "$TMP/c2c.json"
fi

# Refusals: another host's plan (unless --force), bad files and options.
sed 's/"host": "[0-9a-f]*"/"host": "0123456789abcdef"/' "$TMP/plan.json" >"$TMP/other.json"
run bench "$TMP/other.json" $Q
expect_status 2 "a plan for another host"
expect_in err "not this host" "the refusal says why"
expect_in err "--force" "and how to override"
run bench "$TMP/other.json" --reps 1 --seconds 0.02 --baseline unpinned --force
checks=$((checks + 1))
[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "bench --force: exit status $status"
expect_in out "note: forced" "forcing is noted"
echo '{"schema": 1, "vms": 3}' >"$TMP/bad.json"
run bench "$TMP/bad.json"
expect_status 2 "a bad plan.json"
run bench "$TMP/missing.json"
expect_status 2 "a missing plan.json"
run bench
expect_status 2 "no plan"
run bench "$TMP/plan.json" --workload disk
expect_status 2 "an unknown workload"
expect_in err "'disk'" "named"
run bench "$TMP/plan.json" --reps 0
expect_status 2 "--reps 0"
run bench "$TMP/plan.json" --compare-last 3
expect_status 2 "--compare-last without --history"
echo "not a database, certainly not one of ours, but long enough for a header" >"$TMP/junk.db"
run bench "$TMP/plan.json" $Q --history "$TMP/junk.db"
expect_status 2 "a history file that is not SQLite"

# suggest --validate writes only what passed; a plan for another host is refused (2).
run suggest --reserve none --vm name=a,vcpus=1,memory=64M -o "$TMP/v.json" --validate
checks=$((checks + 1))
case $status in
0) test -s "$TMP/v.json" || fail "--validate passed but wrote no plan" ;;
5) test -e "$TMP/v.json" && fail "--validate failed but wrote the plan" ;;
*) fail "suggest --validate: exit status $status" ;;
esac
expect_in out "gate: " "the gate's numbers shown"
run suggest --synthetic "pack:1 [numa(memory=8GB)] core:2 pu:1" --reserve none \
	--vm name=a,vcpus=1,memory=64M -o "$TMP/w.json" --validate
expect_status 2 "--validate of a plan for another host"
expect_true "nothing written" not test -e "$TMP/w.json"
run help bench
expect_in out "6  bench --compare-last" "exit statuses listed"

finish
