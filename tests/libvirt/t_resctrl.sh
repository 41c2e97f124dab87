# Cache ways against a real libvirtd: a fake resctrl tree in a private mount namespace (DESIGN.md
# "how to test"), a second libvirtd there; a plan with cachetune and memorytune is refused at
# start while the default group holds every way, and after vmplan hostprep shrinks it libvirt
# writes into the VM's group's schemata exactly the ways and bandwidth the plan says. (This
# 2-CPU machine holds one dedicated VM and its housekeeping CPU; the unit tests cover several
# VMs in one cache.)
# Skips (77) without root, unshare, a C compiler or libvirtd.
set -u
: "${VMPLAN:?VMPLAN must name the vmplan binary}"
: "${VMPLAN_SOURCE_DIR:?}"
URI=qemu:///system
skip() { echo "skip: $*"; exit 77; }
if [ "${1:-}" != "--inside" ]; then
	[ "$(id -u)" -eq 0 ] || skip "needs root (a mount namespace and a libvirtd of its own)"
	for p in unshare cc virsh /usr/sbin/libvirtd /usr/sbin/virtlogd; do
		command -v "$p" >/dev/null || skip "$p is missing"
	done
	[ -e /dev/kvm ] || skip "no /dev/kvm: libvirt refuses cachetune on TCG domains"
	TMP=$(mktemp -d)
	trap 'rm -rf "$TMP"' EXIT
	cc -shared -fPIC -o "$TMP/preload.so" "$VMPLAN_SOURCE_DIR/tests/libvirt/resctrl_preload.c" -ldl ||
		skip "cannot build the mkdir() preload"
	TMP=$TMP unshare -m --propagation private bash "$0" --inside
	exit $?
fi

# ---- inside the namespace ----
fail() { echo "FAIL: $*"; for f in "$TMP"/*.log; do echo "--- $f"; cat "$f"; done; status=1; }
status=0
A=vmplan-t-apply-a
mkdir -p "$TMP/cg"
mount --rbind /sys/fs/cgroup "$TMP/cg" && mount -t tmpfs none /sys/fs &&
	mkdir -p /sys/fs/cgroup /sys/fs/resctrl && mount --rbind "$TMP/cg" /sys/fs/cgroup ||
	skip "cannot mount a fake /sys/fs"
R=/sys/fs/resctrl
mk() { mkdir -p "$(dirname "$R/$1")" && printf "$2" >"$R/$1"; }
mk info/L3/cbm_mask 'ff\n'
mk info/L3/min_cbm_bits '1\n'
mk info/L3/num_closids '8\n'
mk info/L3/shareable_bits '0\n'
mk info/MB/min_bandwidth '10\n'
mk info/MB/bandwidth_gran '10\n'
mk info/MB/num_closids '8\n'
mk info/MB/delay_linear '1\n'
mk info/last_cmd_status 'ok\n'
mk schemata 'L3:0=ff\nMB:0=100\n'
mk tasks ''
mk cpus '3\n'
# A group of someone else's holding ways 0-1.
mk other/schemata 'L3:0=03\nMB:0=100\n'
mk other/tasks ''
mk other/cpus '0\n'
mount -t tmpfs none /run && mkdir -p /run/libvirt || skip "cannot mount a private /run"
/usr/sbin/virtlogd -d || skip "virtlogd does not start"
LD_PRELOAD=$TMP/preload.so /usr/sbin/libvirtd -d || skip "libvirtd does not start"
stop() {
	for d in $A; do
		virsh -c $URI destroy $d >/dev/null 2>&1
		virsh -c $URI undefine $d >/dev/null 2>&1
	done
	for f in /run/libvirtd.pid /run/virtlogd.pid; do [ -f $f ] && kill "$(cat $f)"; done
}
trap stop EXIT
for _ in $(seq 1 100); do virsh -c $URI version >/dev/null 2>&1 && break; sleep 0.2; done
virsh -c $URI capabilities | grep -q "<control granularity=" || skip "libvirtd sees no cache control"

# A VM with two ways (8 MiB of the 8-way L3) and a bandwidth cap, planned here.
"$VMPLAN" suggest --reserve 0 --vm "name=$A,vcpus=1,memory=64M,cache=8M,membw=50" \
	-o "$TMP/plan.json" >"$TMP/suggest.log" 2>&1 || fail "suggest"
ways() { # ways VM: the plan's L3 mask of VM, as a number
	python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))
print(int([v for v in p["vms"] if v["name"] == sys.argv[2]][0]["cachetune"][0]["ways_mask"], 16))' \
		"$TMP/plan.json" "$1"
}
[ "$status" -eq 0 ] && { [ "$(ways $A)" -gt 0 ] || fail "the plan gives no ways"; }
"$VMPLAN" export "$TMP/plan.json" --define $URI --out-dir "$TMP" >"$TMP/define.log" 2>&1 ||
	fail "define"

# The default group holds every way: libvirt refuses, as a real host does.
if virsh -c $URI start $A >"$TMP/start0.log" 2>&1; then
	fail "libvirt started $A while the default group held every way"
else
	grep -q "Not enough room" "$TMP/start0.log" || fail "refused for another reason"
fi

# hostprep shrinks the default group to the ways no VM is planned (a tree of its own that
# holds only resctrl, so nothing else of this host is touched).
mkdir -p "$TMP/root/sys/fs/resctrl" && mount --bind $R "$TMP/root/sys/fs/resctrl"
"$VMPLAN" hostprep "$TMP/plan.json" --root "$TMP/root" --apply -o "$TMP/prep" \
	>"$TMP/hostprep.log" 2>&1 || fail "hostprep --apply"
rest=$(( 0xff & ~$(ways $A) ))
grep -qix "$(printf 'L3:0=%x' $rest)" $R/schemata || fail "default group not shrunk to $(printf %x $rest)"
# The kernel keeps the lines a schemata write leaves out; a tmpfs does not.
echo "MB:0=100" >>$R/schemata

for d in $A; do
	# Nested KVM may abort QEMU right after libvirt made the group ("failed to set MSR");
	# libvirt has written the schemata by then, and a tmpfs keeps the group's directory.
	virsh -c $URI start $d >"$TMP/start-$d.log" 2>&1 ||
		echo "note: $d did not start (after its resctrl group was made): $(grep -m1 qemu "$TMP/start-$d.log")"
	g=$(ls -d $R/*"$d"* 2>/dev/null | head -n1)
	[ -n "$g" ] || { fail "no resctrl group of $d"; continue; }
	got=$(sed -n 's/^ *L3:0=\([0-9a-fA-F]*\).*/\1/p' "$g/schemata")
	[ -n "$got" ] && [ $((16#$got)) -eq "$(ways $d)" ] ||
		fail "$d: libvirt wrote L3 ways '$got', the plan says $(printf %x "$(ways $d)")"
	echo "$d: plan $(printf %x "$(ways $d)"), libvirt $got ($(tr '\n' ' ' <"$g/schemata"))"
done
# The bandwidth, where the plan caps it (this host's MB unit may need a measured bandwidth).
mb=$(python3 -c 'import json,sys
v = [v for v in json.load(open(sys.argv[1]))["vms"] if v["name"] == sys.argv[2]][0]
print(" ".join(str(m["bandwidth"]) for m in v.get("memorytune", [])))' "$TMP/plan.json" "$A")
g=$(ls -d $R/*"$A"* 2>/dev/null | head -n1)
if [ -n "$mb" ] && [ -n "$g" ]; then
	grep -q "^ *MB:0=$mb\$" "$g/schemata" || fail "$A: libvirt wrote no MB:0=$mb: $(cat "$g/schemata")"
fi
[ "$status" -eq 0 ] && echo "libvirt programmed the planned ways${mb:+ and bandwidth}"
exit $status
