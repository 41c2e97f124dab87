# A real libvirtd and QEMU: plan for this host, define, start, verify, destroy, undefine.
# Skips (77) where libvirtd cannot run; tests/libvirt/start-daemons.sh starts it.
set -u
: "${VMPLAN:?VMPLAN must name the vmplan binary}"
URI=qemu:///system
NAME=vmplan-it-$$
TMP=$(mktemp -d)
cleanup() {
	virsh -c "$URI" destroy "$NAME" >/dev/null 2>&1
	virsh -c "$URI" undefine "$NAME" --nvram >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; for f in "$TMP"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }

command -v virsh >/dev/null || skip "virsh is missing (libvirt-clients)"
virsh -c "$URI" version >/dev/null 2>&1 ||
	skip "libvirtd does not answer on $URI (run tests/libvirt/start-daemons.sh as root)"

# 1 vCPU, 128 MiB and an I/O thread, planned for this very host. No memtune hard_limit:
# this sandbox refuses the RLIMIT_MEMLOCK raise it needs at start.
"$VMPLAN" suggest --vm "name=$NAME,vcpus=1,memory=128M,iothreads=1" -o "$TMP/plan.json" \
	>"$TMP/suggest.log" 2>&1 || fail "suggest"
grep -q '"placed": true' "$TMP/plan.json" || fail "the VM was not placed"
"$VMPLAN" export "$TMP/plan.json" --define "$URI" --out-dir "$TMP" >"$TMP/define.log" 2>&1 ||
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
# A planted mismatch: pin the vCPU elsewhere (where this host has another CPU).
ncpu=$(nproc)
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
virsh -c "$URI" destroy "$NAME" >/dev/null 2>&1 || fail "destroy"
virsh -c "$URI" undefine "$NAME" >/dev/null 2>&1 || fail "undefine"
echo "ok: defined, started, verified (libvirt and /proc), destroyed, undefined"
