# The guest engine end to end on a real libvirtd with QEMU (TCG): a two-VM plan for this host
# is booted under the plan and both baselines, both guests report, every check passes (exit
# 0); the same plan edited so that both VMs pin the same CPU fails the gate (exit 5); guests
# that cannot report in time are named with their logs (exit 5); Ctrl-C destroys the guests;
# no domain is left behind.
# Skips (77) where libvirtd, the guest kernel or vmplan-guest is missing.
set -u
: "${VMPLAN:?VMPLAN must name the vmplan binary}"
. "$(dirname "$0")/lib.sh"
# Only this test's guests: their names carry the process id of the vmplan that started them
# (vmplan-bench-PID-VARIANT-VM), so another run sharing this libvirtd is left alone.
PIDS=""
leftovers() {
	[ -n "$PIDS" ] || return 0
	virsh -c "$URI" list --all --name 2>/dev/null | grep -E "^vmplan-bench-($PIDS)-"
}
# vmplan LOG ARGS...: runs vmplan in the background to learn its process id, waits for it.
vmplan() {
	log=$1
	shift
	"$VMPLAN" "$@" >"$log" 2>&1 &
	PIDS="${PIDS:+$PIDS|}$!"
	wait $!
}
cleanup_more() { for d in $(leftovers); do virsh -c "$URI" destroy "$d" >/dev/null 2>&1; done; }

need_libvirtd
ls /boot/vmlinuz-*-cloud-amd64* >/dev/null 2>&1 ||
	skip "no /boot/vmlinuz-*-cloud-amd64 (install linux-image-cloud-amd64)"
[ -x "$(dirname "$VMPLAN")/vmplan-guest" ] || skip "no vmplan-guest beside $VMPLAN"
command -v python3 >/dev/null || skip "python3 is missing (to edit the plan)"

"$VMPLAN" suggest --vm name=a,vcpus=1,memory=256M --vm name=b,vcpus=1,memory=256M \
	--reserve none -o "$TMP/plan.json" >"$TMP/suggest.log" 2>&1 || fail "suggest"

# A good plan: exit 0, both guests reported in every variant, the topology as planned.
start=$(date +%s.%N)
vmplan "$TMP/good.log" bench "$TMP/plan.json" --engine guest --guest-accel tcg \
	-o "$TMP/results.json"
status=$?
end=$(date +%s.%N)
cat "$TMP/good.log"
[ "$status" -eq 0 ] || fail "good plan: exit status $status, expected 0"
grep -q "^engine: guest (real guests through libvirt, accelerator tcg); performance NOT judged" \
	"$TMP/good.log" || fail "the engine and the TCG caveat are not said"
for v in plan unpinned naive; do
	for vm in a b; do
		grep -q "ok *vm $vm *$v: guest result *guest *expected a VMPLAN-RESULT line, found reported" \
			"$TMP/good.log" || fail "vm $vm did not report in the $v variant"
	done
done
for vm in a b; do
	for what in "guest NUMA nodes" "guest node 0 cpus" "guest node 0 memory" \
		"guest CPU topology" "vcpu 0 affinity" "vcpu 0 dedicated" "cell 0 memory"; do
		grep -q "ok *vm $vm *$what " "$TMP/good.log" || fail "vm $vm: check '$what' not ok"
	done
done
grep -q "gate: pass: decided by the placement and topology checks alone" "$TMP/good.log" ||
	fail "the gate did not pass on the checks"
python3 - "$TMP/results.json" <<'PY' || fail "results.json lacks the engine's fields"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["engine"] == "guest" and r["accel"] == "tcg", r
assert r["performance_judged"] is False and r["gate_pass"] is True, r
assert r["decided_by"] == "placement and topology checks", r
assert all(c["ok"] for c in r["guest_checks"]), r["guest_checks"]
assert r["gate"]["pass"] is True and r["gate"]["performance_pass"] is None, r["gate"]
assert all(i["verdict"] == "not judged" for i in r["gate"]["items"]), r["gate"]
PY
[ -z "$(leftovers)" ] || fail "domains left behind: $(leftovers)"

# Both VMs on one CPU: the dedicated-vCPU check fails, exit 5.
python3 - "$TMP/plan.json" "$TMP/broken.json" <<'PY' || fail "cannot edit the plan"
import json, sys
p = json.load(open(sys.argv[1]))
a, b = p["vms"][0], p["vms"][1]
b["vcpupin"] = list(a["vcpupin"])
b["pcpus"] = a["pcpus"]
b["emulatorpin"] = a["emulatorpin"]
for c in b["cells"]:
	c["cpus"] = a["pcpus"]
json.dump(p, open(sys.argv[2], "w"), indent=2)
PY
vmplan "$TMP/broken.log" bench "$TMP/broken.json" --engine guest --guest-accel tcg \
	--baseline unpinned
status=$?
cat "$TMP/broken.log"
[ "$status" -eq 5 ] || fail "two VMs on one CPU: exit status $status, expected 5"
grep -q "FAILED *vm a *vcpu 0 dedicated .*shared with vm b vcpu 0" "$TMP/broken.log" ||
	fail "the shared CPU was not found"
grep -q "gate: FAIL" "$TMP/broken.log" || fail "the gate did not fail"
[ -z "$(leftovers)" ] || fail "domains left behind: $(leftovers)"

# Guests that cannot report within a second: a clear error naming the log, exit 5.
vmplan "$TMP/timeout.log" bench "$TMP/plan.json" --engine guest --guest-accel tcg \
	--baseline unpinned --guest-timeout 1
status=$?
cat "$TMP/timeout.log"
[ "$status" -eq 5 ] || fail "timeout: exit status $status, expected 5"
grep -q "FAILED *vm a *plan: guest result .*no result line (VMPLAN-RESULT) in the serial log '/tmp/vmplan-bench-.*/vmplan-bench-[0-9]*-plan-a.log'.*no result within --guest-timeout" \
	"$TMP/timeout.log" || fail "the silent guest is not named with its log"
[ -z "$(leftovers)" ] || fail "domains left behind after the timeout: $(leftovers)"

# suggest --validate with the guest engine: the gate passes, so plan.json is written.
vmplan "$TMP/validate.log" suggest --vm name=a,vcpus=1,memory=256M \
	--vm name=b,vcpus=1,memory=256M --reserve none --validate --engine guest \
	--guest-accel tcg -o "$TMP/validated.json" || fail "suggest --validate --engine guest"
grep -q "decided by the placement and topology checks alone" "$TMP/validate.log" ||
	fail "suggest --validate did not bench with the guest engine"
[ -s "$TMP/validated.json" ] || fail "suggest --validate wrote no plan"
[ -z "$(leftovers)" ] || fail "domains left behind after suggest --validate: $(leftovers)"

# Ctrl-C while the guests run: they are destroyed, the error says so.
"$VMPLAN" bench "$TMP/plan.json" --engine guest --guest-accel tcg >"$TMP/sigint.log" 2>&1 &
pid=$!
PIDS="${PIDS:+$PIDS|}$pid"
for _ in $(seq 1 150); do
	[ -n "$(leftovers)" ] && break
	sleep 0.2
done
[ -n "$(leftovers)" ] || fail "no guest started before Ctrl-C"
kill -INT "$pid"
wait "$pid"
status=$?
cat "$TMP/sigint.log"
[ "$status" -eq 1 ] || fail "Ctrl-C: exit status $status, expected 1"
grep -q "interrupted: the bench's guests were destroyed" "$TMP/sigint.log" ||
	fail "Ctrl-C: not said"
[ -z "$(leftovers)" ] || fail "domains left behind after Ctrl-C: $(leftovers)"

wall=$(echo "$end - $start" | bc 2>/dev/null || python3 -c "print($end - $start)")
echo "ok: two-VM guest bench (plan, unpinned, naive) in ${wall} s; boot to result per guest:"
grep "booted and reported in" "$TMP/good.log" | sed 's/^note: /  /'
