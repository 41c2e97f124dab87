# vmplan bench end to end on this host: the quick two-VM bench, history, JSON, refusals, --validate.
. "$(dirname "$0")/lib.sh"

Q="--reps 2 --seconds 0.05"

run suggest --reserve none --vm name=a,vcpus=1,memory=64M --vm name=b,vcpus=1,memory=64M \
	-o "$TMP/plan.json"
if [ "$status" -ne 0 ]; then
	echo "SKIP: this host cannot place two 1-vCPU VMs (status $status)"
	exit 77
fi

# The quick bench: a table, placement checked, results stored, JSON written. On this shared
# 2-CPU machine a good plan may be too noisy to judge (inconclusive, 5); whichever it is, the
# status, the gate line, the FAIL lines and results.json must say the same thing.
run bench "$TMP/plan.json" $Q --history "$TMP/h.db" -o "$TMP/results.json"
checks=$((checks + 1))
[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "bench: exit status $status, expected 0 or 5"
expect_in out "plan median (min-max)" "the table's header"
expect_in out "stream*" "the default workload (no profile: stream, then latency), marked primary"
expect_in out "unpinned" "the unpinned baseline"
expect_in out "naive" "the naive baseline"
# Plan: per VM vCPU and emulator (CPUs seen, affinity read back), exclusive vCPU, memory
# (where, how bound): 7; baselines: vCPU and emulator affinity, 2 each: 4. Two VMs: 22.
expect_in out "placement: 22 of 22 checks ok" "every check of a good plan passes"
expect_in out "stored in $TMP/h.db" "history stored"
expect_true "no misplacement" not grep -q "MISPLACED" "$TMP/out"
if [ "$status" -eq 0 ]; then
	expect_in out "gate: pass: no VM's primary metric worse" "exit 0 is a pass"
	expect_true "a pass names no VM" not grep -q "^  vm " "$TMP/out"
else
	expect_in out "gate: FAIL" "exit 5 is a failure"
	expect_true "a failure of a good plan is a verdict, named" \
		grep -Eq "^  vm [ab]: triad_gbs .*: (inconclusive|worse)$" "$TMP/out"
fi
expect_true "results.json written" test -s "$TMP/results.json"
expect_true "results.json has results" grep -q '"metric": "triad_gbs"' "$TMP/results.json"
expect_true "results.json has checks" grep -q '"kind": "vcpu"' "$TMP/results.json"
if command -v python3 >/dev/null; then
	expect_true "results.json: the gate as the status says, item by item" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); status = int(sys.argv[2]); g = d["gate"]
assert d["schema"] == 1 and len(d["results"]) == 12, d["results"]
assert all(c["ok"] for c in d["checks"]), d["checks"]
assert len(d["checks"]) == 22 and {c["kind"] for c in d["checks"]} == {
    "vcpu", "emulator", "memory", "exclusive", "affinity", "mempolicy"}, d["checks"]
assert g["decided_by"] == "checks and performance" and g["not_judged"] == [], g
assert len(g["items"]) == 4, g
bad = [i for i in g["items"] if i["verdict"] in ("worse", "inconclusive")]
assert g["pass"] == (status == 0) == (not bad), (status, g)
for i in g["items"]:
    assert i["workload"] == "stream" and i["plan_samples"] >= 2, i
    if i["ci_low"] is not None:
        assert i["ci_low"] <= i["ci_high"] and i["confidence"] >= 0.95, i
        v = "better" if i["ci_low"] > 1 else "same" if i["ci_low"] >= 0.95 else \
            "worse" if i["ci_high"] < 1 else "inconclusive"
        assert v == i["verdict"], i
    else:
        assert i["verdict"] == "inconclusive", i
' "$TMP/results.json" "$status"
fi
if command -v sqlite3 >/dev/null; then
	expect_true "history: one run, twelve results" test "$(sqlite3 "$TMP/h.db" \
		'SELECT COUNT(*) FROM runs; SELECT COUNT(*) FROM results; SELECT value FROM meta')" \
		= "$(printf '1\n12\n1')"
fi

# A plan edited to put both dedicated VMs on one CPU fails the gate, whatever the figures.
if command -v python3 >/dev/null; then
	python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
a, b = p["vms"][0], p["vms"][1]
for k in ("vcpupin", "pcpus", "emulatorpin"):
    b[k] = a[k]
b["cells"][0]["cpus"] = a["cells"][0]["cpus"]
json.dump(p, open(sys.argv[2], "w"))
' "$TMP/plan.json" "$TMP/shared.json"
	run bench "$TMP/shared.json" --reps 2 --seconds 0.02 --workload latency -o "$TMP/shared-r.json"
	expect_status 5 "two dedicated VMs on one CPU"
	expect_in out "gate: FAIL" "the gate fails"
	expect_in out "MISPLACED vm a exclusive vCPU 0 (plan)" "a's vCPU is not alone"
	expect_in out "MISPLACED vm b exclusive vCPU 0 (plan)" "nor b's"
	expect_in out "are both pinned, dedicated, to CPU" "the note says which"
	expect_true "results.json: exclusive checks failed" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = sorted(c["vm"] for c in d["checks"] if not c["ok"])
assert bad == ["a", "b"] and not d["gate"]["pass"], bad
' "$TMP/shared-r.json"
fi

# A second run compared with the first; --json prints the same document.
run bench "$TMP/plan.json" $Q --workload compute,latency --baseline unpinned --history "$TMP/h.db" \
	--compare-last 3 --threshold 50
checks=$((checks + 1))
case $status in 0 | 5 | 6) ;; *) fail "bench --compare-last: exit status $status" ;; esac
expect_in out "history: 2 metrics compared" "the plan's latency of a and b (compute is new)"
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
# The identity decides: another fingerprint alone (free memory moved) is still this host.
sed 's/"host": "[0-9a-f]*"/"host": "0123456789abcdef"/' "$TMP/plan.json" >"$TMP/moved.json"
run bench "$TMP/moved.json" --reps 1 --seconds 0.02 --baseline unpinned
checks=$((checks + 1))
[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "bench after memory moved: exit status $status"
expect_true "not forced" not grep -q "forced" "$TMP/out"
sed 's/"packages": [0-9]*/"packages": 7/' "$TMP/plan.json" >"$TMP/other.json"
run bench "$TMP/other.json" $Q
expect_status 2 "a plan for another host"
expect_in err "not this host" "the refusal says why"
expect_in err "7 packages planned, 1 here" "and names what differs"
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
