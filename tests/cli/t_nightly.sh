# vmplan accept and vmplan nightly without libvirt: the state directory, a changed host
# stopping the run, the bench stored in the history, regressions, pruning, --json, --prom.
. "$(dirname "$0")/lib.sh"

STATE=$TMP/state
export VMPLAN_STATE_DIR=$STATE VMPLAN_SYSTEMD_DIR=$TMP/units
mkdir -p "$TMP/units"
SYNTH="pack:2 [numa(memory=8GB)] core:2 pu:2"
BENCH=(--workload compute --reps 4 --seconds 0.05)
rows() { sqlite3 "$STATE/history.db" "$1"; }
# expand CPUSET: one CPU a line ("0-2,5" gives 0 1 2 5).
expand() {
	local part
	for part in ${1//,/ }; do
		if [[ $part == *-* ]]; then seq "${part%-*}" "${part#*-}"; else echo "$part"; fi
	done
}

# Nothing kept yet.
run nightly --skip verify,bench,reports
expect_status 2 "no accepted plan"
expect_in err "no accepted plan in '$STATE'" "no plan: says where it looked"
run accept
expect_status 2 "accept without a plan and none kept"
run verify --connect test:///default
expect_status 2 "verify without a plan and none kept"
expect_in err "no plan given and none kept in '$STATE'" "verify: says where it looked"

# A plan for another machine is refused here, and nothing is kept.
"$VMPLAN" suggest --synthetic "$SYNTH" --vm name=a,vcpus=2,memory=1G -o "$TMP/synth.json" >/dev/null
run accept "$TMP/synth.json"
expect_status 2 "accept a plan made for another host"
expect_in err "accept it on the host it was made for" "accept: another host named"
expect_true "a refused plan is not kept" not test -e "$STATE/plan.json"

# Accepted on the host it was made for (a file host), then run here: the host changed.
run accept "$TMP/synth.json" --synthetic "$SYNTH"
expect_status 0 "accept on the plan's own host"
expect_true "plan.json kept as given" cmp -s "$TMP/synth.json" "$STATE/plan.json"
expect_true "host.json kept" grep -q '"schema"' "$STATE/host.json"
run nightly --prom "$TMP/n.prom"
expect_status 2 "a changed host stops the run"
expect_in err "this host changed since its plan was accepted" "changed host: said"
expect_in err "2 NUMA nodes planned" "changed host: the plan's host described"
expect_in out "HOST CHANGED" "changed host: the summary line"
expect_true "changed host: nothing benched" not test -e "$STATE/history.db"
expect_true "changed host: prom status 2" grep -q '^vmplan_nightly_status{host=".*"} 2$' "$TMP/n.prom"
expect_true "changed host: prom host_changed 1" grep -q '^vmplan_nightly_host_changed{.*} 1$' "$TMP/n.prom"

# A plan of this host: kept with its host model and the nightly unit's CPU affinity.
"$VMPLAN" suggest --vm name=a,vcpus=1,memory=64M -o "$TMP/plan.json" >/dev/null
run accept "$TMP/plan.json"
expect_status 0 "accept a plan of this host"
expect_in out "kept as the accepted plan of host" "accept: said"
dropin=$TMP/units/vmplan-nightly.service.d/50-vmplan-cpuaffinity.conf
pinned=$(awk '/"vcpupin": \[/ { on = 1; next } on { gsub(/[ ,]/, ""); print; exit }' "$TMP/plan.json")
if [ "$(nproc)" -gt 1 ]; then
	expect_true "drop-in written" test -f "$dropin"
	cpus=$(expand "$(sed -n 's/^CPUAffinity=//p' "$dropin")")
	expect_true "drop-in leaves out the pinned CPU $pinned ($cpus)" not grep -qx "$pinned" <<<"$cpus"
	expect_true "drop-in has every other online CPU ($cpus)" \
		test "$(wc -l <<<"$cpus")" -eq $(($(nproc) - 1))
	expect_true "drop-in has CPUAffinity" grep -q '^CPUAffinity=[0-9]' "$dropin"
fi

# verify takes the kept plan: its VM 'a' is no domain of libvirt's test driver (another machine:
# --force).
run verify --connect test:///default --force
expect_status 4 "verify of the kept plan"
expect_in out "vm a: " "verify read the kept plan"

# A plan that pins every CPU leaves no housekeeping CPU: the drop-in goes.
if [ "$(nproc)" -gt 1 ] && "$VMPLAN" suggest --reserve none --vm "name=all,vcpus=$(nproc),memory=64M" \
	-o "$TMP/all.json" >/dev/null 2>&1; then
	run accept "$TMP/all.json"
	expect_status 0 "accept a plan pinning every CPU"
	expect_true "no drop-in when every CPU is pinned" not test -e "$dropin"
	run accept "$TMP/plan.json"
	expect_true "the drop-in back with the first plan" test -f "$dropin"
fi

# --skip: no libvirt needed; the bench is stored with its settings.
run nightly --skip verify,reports "${BENCH[@]}" --prom "$TMP/n.prom"
[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "first run: exit status $status, expected 0 or 5"
checks=$((checks + 1))
expect_in out "verify: skipped" "skipped verify said"
expect_in out "history: run 1 stored" "first run stored"
expect_in out "vmplan nightly: " "the journal's one line"
first=$status
if command -v sqlite3 >/dev/null; then
	expect_true "one run, reps 4, seconds 0.05" \
		test "$(rows "SELECT count(*) FROM runs WHERE reps = 4 AND seconds = 0.05")" = 1
	expect_true "its results stored" test "$(rows "SELECT count(*) FROM results")" -ge 3
fi
expect_true "prom: the plan's median" grep -q '^vmplan_bench_median{host=".*",vm="a",workload="compute",metric="ops_per_s",unit="ops/s",variant="plan"} [0-9]' "$TMP/n.prom"
expect_true "prom: status as exited" grep -q "^vmplan_nightly_status{.*} $first\$" "$TMP/n.prom"
expect_true "prom: no temporary file left" test "$(ls "$TMP" | grep -c 'n.prom.tmp')" = 0

if command -v sqlite3 >/dev/null; then
	# Earlier runs 1000x faster: this run regressed (exit 6 wins over the gate's 5).
	rows "UPDATE results SET median = median * 1000 WHERE variant = 'plan'"
	run nightly --skip verify,reports "${BENCH[@]}" --json
	expect_status 6 "a regression"
	expect_in out '"regressed": 1' "json: one regression"
	expect_in out '"status": 6' "json: status"
	# The same figures under other --reps are not compared with them.
	rows "UPDATE results SET median = median * 1000 WHERE variant = 'plan'"
	run nightly --skip verify,reports --workload compute --reps 5 --seconds 0.05
	[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "other --reps: exit status $status, expected 0 or 5"
	checks=$((checks + 1))
	expect_in out "0 metrics compared" "other --reps: nothing compared"
	# --keep-days removes the runs older than that, after storing this one.
	rows "UPDATE runs SET started_at = '2020-01-01T00:00:00Z' WHERE id = 1"
	run nightly --skip verify,reports "${BENCH[@]}" --keep-days 30
	expect_in out "1 old runs removed" "--keep-days: the old run removed"
	expect_true "--keep-days: run 1 gone" test "$(rows "SELECT count(*) FROM runs WHERE id = 1")" = 0
	expect_true "--keep-days: its results gone" \
		test "$(rows "SELECT count(*) FROM results WHERE run_id = 1")" = 0
	expect_true "--keep-days: the other runs kept" test "$(rows "SELECT count(*) FROM runs")" = 3
fi

# The reports, where gnuplot is installed.
if command -v gnuplot >/dev/null; then
	run nightly --skip verify,bench
	expect_status 0 "reports only"
	expect_true "report bench written" test -s "$STATE/reports/bench/index.html"
	expect_true "report host written" test -s "$STATE/reports/host/index.html"
	expect_in out "report: $STATE/reports/host" "reports listed"
fi

# A step that fails is said, and the run goes on: exit 1 when nothing worse was found.
run nightly --skip bench --connect test:///nonexistent/host.xml
expect_status 1 "verify cannot connect"
expect_in out "error: verify: " "the failed step said"
expect_in out "vmplan nightly: ERROR: " "the summary line says error"
if command -v gnuplot >/dev/null; then
	expect_in out "report: $STATE/reports/host" "the reports still written"
fi

run nightly --skip bogus
expect_status 2 "bad --skip"
run nightly --guest-accel tcg
expect_status 2 "--guest-* without --engine guest"
run nightly --help
expect_status 0 "--help"
expect_in out "4 drift; 6 a metric regressed; 5 the bench gate" "--help: the statuses"

finish
