# A real libvirtd and QEMU: plan for this host, define, start, verify, re-define with other
# pins (without, then with --live), run it with a vCPU more than planned, destroy, undefine.
# Skips (77) where libvirtd cannot run; tests/libvirt/start-daemons.sh starts it.
set -u
: "${VMPLAN:?VMPLAN must name the vmplan binary}"
. "$(dirname "$0")/lib.sh"
# Software emulation (TCG), as DESIGN.md says for these machines: nested KVM is unreliable
# here (QEMU aborts on some hosts with "failed to set MSR 0x10a").
NAME=vmplan-it-$$
DOMAINS="$NAME"

need_libvirtd

# 1 vCPU, 128 MiB and an I/O thread, planned for this very host. No memtune hard_limit:
# this sandbox refuses the RLIMIT_MEMLOCK raise it needs at start.
"$VMPLAN" suggest --vm "name=$NAME,vcpus=1,memory=128M,iothreads=1" -o "$TMP/plan.json" \
	>"$TMP/suggest.log" 2>&1 || fail "suggest"
grep -q '"placed": true' "$TMP/plan.json" || fail "the VM was not placed"
"$VMPLAN" export "$TMP/plan.json" --define "$URI" --type qemu --out-dir "$TMP" >"$TMP/define.log" 2>&1 ||
	fail "define"
grep -q "$NAME: created" "$TMP/define.log" || fail "not created"
virsh -c "$URI" dumpxml "$NAME" >"$TMP/defined.xml" 2>&1
# A guest without a disk sits in its firmware: enough to see where its threads run.
virsh -c "$URI" start "$NAME" >"$TMP/start.log" 2>&1 || fail "start"
"$VMPLAN" verify "$TMP/plan.json" --connect "$URI" --proc yes >"$TMP/verify.log" 2>&1
status=$?
cat "$TMP/verify.log"
[ "$status" -eq 0 ] || fail "verify exit status $status"
grep -q "(1 VMs also read from /proc), 0 mismatches" "$TMP/verify.log" ||
	fail "the QEMU threads were not checked"
ncpu=$(nproc)
# A second plan with other pins: the CPU the vCPU has is kept for housekeeping, so the vCPU
# moves; --live applies it to the running guest, without --live only its definition changes.
live_pin() { virsh -c "$URI" vcpupin "$NAME" --live | awk '$1 == "0" {print $2}'; }
plan_pin() { awk '/"vcpupin": \[/ { on = 1; next } on { gsub(/[ ,]/, ""); print; exit }' "$1"; }
if [ "$ncpu" -gt 1 ]; then
	first=$(plan_pin "$TMP/plan.json")
	"$VMPLAN" suggest --vm "name=$NAME,vcpus=1,memory=128M,iothreads=1" --reserve "$first" \
		-o "$TMP/plan2.json" >"$TMP/suggest2.log" 2>&1 || fail "suggest with --reserve $first"
	second=$(plan_pin "$TMP/plan2.json")
	[ -n "$second" ] && [ "$second" != "$first" ] || fail "the second plan keeps vCPU 0 on $first"
	[ "$(live_pin)" = "$first" ] || fail "vCPU 0 runs on $(live_pin), the plan says $first"
	"$VMPLAN" export "$TMP/plan2.json" --define "$URI" --type qemu --out-dir "$TMP" >"$TMP/define2.log" 2>&1 ||
		fail "define the second plan"
	grep -q "$NAME is running: the new tuning takes effect when it next starts" \
		"$TMP/define2.log" || fail "define without --live: running not noted"
	[ "$(live_pin)" = "$first" ] || fail "without --live, vCPU 0 moved to $(live_pin)"
	"$VMPLAN" verify "$TMP/plan2.json" --connect "$URI" >"$TMP/verify-old.log" 2>&1
	[ $? -eq 4 ] || fail "without --live the guest already matches the second plan"
	# The definition already holds the second plan: --live pins the guest only.
	"$VMPLAN" export "$TMP/plan2.json" --define "$URI" --type qemu --out-dir "$TMP" --live \
		>"$TMP/live.log" 2>&1 || fail "define --live"
	cat "$TMP/live.log"
	grep -q "$NAME: unchanged" "$TMP/live.log" || fail "--live: definition not unchanged"
	grep -q "$NAME is running: vCPU, emulator and I/O thread pins applied live; memory placement" \
		"$TMP/live.log" || fail "--live: pins not reported applied"
	[ "$(live_pin)" = "$second" ] || fail "--live: vCPU 0 runs on $(live_pin), not $second"
	"$VMPLAN" verify "$TMP/plan2.json" --connect "$URI" --proc yes >"$TMP/verify-live.log" 2>&1 ||
		fail "--live: verify the second plan: exit status $?"
	grep -q "(1 VMs also read from /proc), 0 mismatches" "$TMP/verify-live.log" ||
		fail "--live: the QEMU threads were not checked"
	# Back to the first plan in one step: updated and pinned live.
	"$VMPLAN" export "$TMP/plan.json" --define "$URI" --type qemu --out-dir "$TMP" --live --json \
		>"$TMP/live2.log" 2>&1 || fail "define --live --json"
	grep -q '"result": "updated"' "$TMP/live2.log" || fail "--live --json: not updated"
	grep -q '"live": true' "$TMP/live2.log" || fail "--live --json: not pinned live"
	[ "$(live_pin)" = "$first" ] || fail "--live: vCPU 0 back on $(live_pin), not $first"
	"$VMPLAN" verify "$TMP/plan.json" --connect "$URI" --proc yes >"$TMP/verify-back.log" 2>&1 ||
		fail "--live: verify the first plan again: exit status $?"
	# A CPU this host lacks: refused before anything is written (the host check names it;
	# t_live.sh sees a live pin fail after the definition was written).
	sed "s/^\(        \)$first\$/\1$((ncpu + 64))/; s/\"pcpus\": \"$first\"/\"pcpus\": \"$((ncpu + 64))\"/" \
		"$TMP/plan.json" >"$TMP/plan-bad.json"
	"$VMPLAN" export "$TMP/plan-bad.json" --define "$URI" --type qemu --out-dir "$TMP" --live \
		>"$TMP/live-bad.log" 2>&1
	status=$?
	cat "$TMP/live-bad.log"
	[ "$status" -eq 2 ] || fail "a pin on a missing CPU: exit status $status, expected 2"
	grep -q "this host lacks CPUs it pins to" "$TMP/live-bad.log" || fail "the refusal does not say why"
	grep -q "pinned to CPUs $((ncpu + 64)), which this host does not have online" \
		"$TMP/live-bad.log" || fail "the missing CPU is not named"
	[ "$(live_pin)" = "$first" ] || fail "the refused plan moved vCPU 0 to $(live_pin)"
	"$VMPLAN" export "$TMP/plan.json" --define "$URI" --type qemu --out-dir "$TMP" --live \
		>"$TMP/live3.log" 2>&1 || fail "define --live after the failure"
else
	echo "note: one CPU; --live is not tried (no other pin to move to)"
fi
# A planted mismatch: pin the vCPU elsewhere (where this host has another CPU).
if [ "$ncpu" -gt 1 ]; then
	pinned=$(virsh -c "$URI" vcpupin "$NAME" 0 | awk '$1 == "0" {print $2}')
	other=$(( (pinned + 1) % ncpu ))
	virsh -c "$URI" vcpupin "$NAME" 0 "$other" --live >/dev/null 2>&1 || fail "vcpupin"
	"$VMPLAN" verify "$TMP/plan.json" --connect "$URI" --proc yes >"$TMP/verify2.log" 2>&1
	status=$?
	cat "$TMP/verify2.log"
	[ "$status" -eq 4 ] || fail "planted mismatch: exit status $status, expected 4"
	grep -q "vcpu 0 thread" "$TMP/verify2.log" || fail "/proc did not see the moved vCPU"
fi
# More vCPUs than planned: the definition edited to 2, started again. Both libvirt's count
# and the extra thread 'CPU 1/...' in /proc are mismatches.
virsh -c "$URI" destroy "$NAME" >/dev/null 2>&1 || fail "destroy before the second vCPU"
virsh -c "$URI" dumpxml --inactive "$NAME" >"$TMP/one-vcpu.xml" 2>&1 || fail "dumpxml"
sed -e "s|\(<vcpu[^>]*>\)1</vcpu>|\12</vcpu>|" -e "s|cores='1'|cores='2'|" \
	-e "s|\(<cell id='0' cpus=\)'0'|\1'0-1'|" "$TMP/one-vcpu.xml" >"$TMP/two-vcpus.xml"
grep -q ">2</vcpu>" "$TMP/two-vcpus.xml" || fail "the definition did not get 2 vCPUs"
virsh -c "$URI" define "$TMP/two-vcpus.xml" >"$TMP/define-two.log" 2>&1 || fail "define 2 vCPUs"
virsh -c "$URI" start "$NAME" >"$TMP/start-two.log" 2>&1 || fail "start with 2 vCPUs"
"$VMPLAN" verify "$TMP/plan.json" --connect "$URI" --proc yes >"$TMP/verify-two.log" 2>&1
status=$?
cat "$TMP/verify-two.log"
[ "$status" -eq 4 ] || fail "2 vCPUs, 1 planned: exit status $status, expected 4"
grep -q "vcpus  *libvirt  planned 1, found 2" "$TMP/verify-two.log" ||
	fail "libvirt's vCPU count was not compared"
grep -q "planned vcpus=1, found thread 'CPU 1/" "$TMP/verify-two.log" ||
	fail "/proc did not report the extra vCPU thread"
virsh -c "$URI" destroy "$NAME" >/dev/null 2>&1 || fail "destroy"
virsh -c "$URI" undefine "$NAME" >/dev/null 2>&1 || fail "undefine"
echo "ok: defined, started, verified (libvirt and /proc), pinned live, an extra vCPU found," \
	"destroyed, undefined"
