# Cache ways against a real libvirtd: a fake resctrl tree in a private mount namespace (DESIGN.md
# "how to test"), a second libvirtd there. The tree is an Intel host's (MB in percent; this
# namespace's /proc/cpuinfo says GenuineIntel to vmplan and libvirtd alike) whose default group
# holds every way and where someone else's group holds ways 0-1.
# 1. One VM with cachetune and memorytune (this 2-CPU machine: one dedicated CPU, one for
#    housekeeping): libvirt refuses to start it while the default group holds every way;
#    vmplan hostprep --apply shrinks the group, and libvirt writes into the VM's group exactly
#    the ways and bandwidth the plan says; hostprep --undo gives the default group its ways back.
# 2. Two dedicated VMs (one CPU each, --reserve none) with cachetune, one with memorytune too:
#    the plan says which ways hostprep must release from the default group, --resctrl-default
#    keep refuses them; with the default group shrunk as hostprep would (hostprep itself
#    refuses a plan that leaves no housekeeping CPU), libvirt, starting them in plan order,
#    writes into each domain's group exactly the plan's ways (its own choice) and bandwidth.
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
S=vmplan-t-apply-s
A=vmplan-t-apply-a
B=vmplan-t-apply-b
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
# An Intel host: MB values are percentages (vmplan reads the vendor here; so does libvirtd).
sed 's/^vendor_id.*/vendor_id\t: GenuineIntel/' /proc/cpuinfo >"$TMP/cpuinfo" &&
	mount --bind "$TMP/cpuinfo" /proc/cpuinfo || skip "cannot bind a /proc/cpuinfo"
# A group of someone else's holding ways 0-1.
mk other/schemata 'L3:0=03\nMB:0=100\n'
mk other/tasks ''
mk other/cpus '0\n'
mount -t tmpfs none /run && mkdir -p /run/libvirt || skip "cannot mount a private /run"
/usr/sbin/virtlogd -d || skip "virtlogd does not start"
LD_PRELOAD=$TMP/preload.so /usr/sbin/libvirtd -d || skip "libvirtd does not start"
stop() {
	for d in $S $A $B; do
		virsh -c $URI destroy $d >/dev/null 2>&1
		virsh -c $URI undefine $d >/dev/null 2>&1
	done
	for f in /run/libvirtd.pid /run/virtlogd.pid; do [ -f $f ] && kill "$(cat $f)"; done
}
trap stop EXIT
for _ in $(seq 1 100); do virsh -c $URI version >/dev/null 2>&1 && break; sleep 0.2; done
virsh -c $URI capabilities | grep -q "<control granularity=" || skip "libvirtd sees no cache control"

field() { # field PLAN VM PYTHON-EXPRESSION-OF-v: a value of the VM's entry in PLAN
	python3 -c 'import json,sys
v = [v for v in json.load(open(sys.argv[1]))["vms"] if v["name"] == sys.argv[2]][0]
print(eval(sys.argv[3]))' "$1" "$2" "$3"
}
ways() { field "$1" "$2" 'int(v["cachetune"][0]["ways_mask"], 16) if v.get("cachetune") else 0'; }
# check PLAN VM: VM's resctrl group holds exactly the plan's L3 ways and MB value (100,
# unthrottled, where the plan sets none), whether or not QEMU then ran.
check() {
	local plan=$1 d=$2 g want got
	# Nested KVM may abort QEMU right after libvirt made the group ("failed to set MSR");
	# libvirt has written the schemata by then, and a tmpfs keeps the group's directory.
	virsh -c $URI start "$d" >"$TMP/start-$d.log" 2>&1 ||
		echo "note: $d did not start (after its resctrl group was made): $(grep -m1 -o 'qemu.*' "$TMP/start-$d.log")"
	g=$(ls -d $R/*"$d"* 2>/dev/null | head -n1)
	[ -n "$g" ] || { fail "no resctrl group of $d: $(cat "$TMP/start-$d.log")"; return; }
	want=$(printf 'L3:0=%x MB:0=%s' "$(ways "$plan" "$d")" \
		"$(field "$plan" "$d" 'v["memorytune"][0]["bandwidth"] if v.get("memorytune") else 100')")
	got=$(sed 's/^ *//' "$g/schemata" | grep -v '^$' | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$want" ] || fail "$d: libvirt wrote '$got', the plan says '$want'"
	echo "$d: plan '$want', libvirt '$got'"
}
forget() { # forget VM: undefine it; its group goes (rmdir on a real resctrl; a tmpfs keeps it)
	virsh -c $URI destroy "$1" >/dev/null 2>&1
	virsh -c $URI undefine "$1" >/dev/null 2>&1
	rm -rf $R/*"$1"*
}

# ---- 1. One VM, hostprep --apply and --undo ----
P1=$TMP/one.json
"$VMPLAN" suggest --reserve 0 --vm "name=$S,vcpus=1,memory=64M,cache=8M,membw=50" -o "$P1" \
	>"$TMP/suggest1.log" 2>&1 || fail "suggest: $(cat "$TMP/suggest1.log")"
[ "$status" -eq 0 ] && { [ "$(ways "$P1" $S)" -gt 0 ] || fail "the plan gives no ways"; }
"$VMPLAN" export "$P1" --define $URI --out-dir "$TMP" >"$TMP/define1.log" 2>&1 ||
	fail "define: $(cat "$TMP/define1.log")"
# The default group holds every way: libvirt refuses, as a real host does.
if virsh -c $URI start $S >"$TMP/start0.log" 2>&1; then
	fail "libvirt started $S while the default group held every way"
else
	grep -q "Not enough room" "$TMP/start0.log" || fail "refused for another reason: $(cat "$TMP/start0.log")"
fi
rm -rf $R/*"$S"* # what libvirt left of the group it could not program (tmpfs)
# hostprep shrinks the default group to the ways no VM is planned (a tree of its own that
# holds only resctrl, so nothing else of this host is touched).
mkdir -p "$TMP/root/sys/fs/resctrl" && mount --bind $R "$TMP/root/sys/fs/resctrl"
"$VMPLAN" hostprep "$P1" --root "$TMP/root" --apply -o "$TMP/prep" \
	>"$TMP/hostprep.log" 2>&1 || fail "hostprep --apply: $(cat "$TMP/hostprep.log")"
rest=$(( 0xff & ~$(ways "$P1" $S) ))
grep -qix "$(printf 'L3:0=%x' $rest)" $R/schemata || fail "default group not shrunk to $(printf %x $rest): $(cat $R/schemata)"
# The kernel keeps the lines a schemata write leaves out; a tmpfs does not.
echo "MB:0=100" >>$R/schemata
check "$P1" $S
forget $S
"$VMPLAN" hostprep --undo "$TMP/prep/hostprep-undo.json" >"$TMP/undo.log" 2>&1 ||
	fail "hostprep --undo: $(cat "$TMP/undo.log")"
grep -qix 'L3:0=ff' $R/schemata || fail "--undo did not give the default group its ways back: $(cat $R/schemata)"
grep -q '^MB:' $R/schemata || echo "MB:0=100" >>$R/schemata

# ---- 2. Two VMs, planned in the order given: a takes one way (4 MiB of the 8-way 32 MiB
# L3), b two and a bandwidth cap of 50% ----
P2=$TMP/two.json
plan() { # plan FILE [OPTION...]: the plan in FILE, the summary in FILE.log
	local f=$1
	shift
	"$VMPLAN" suggest --reserve none --order given "$@" \
		--vm "name=$A,vcpus=1,memory=64M,cache=4M" \
		--vm "name=$B,vcpus=1,memory=64M,cache=8M,membw=50" -o "$f" >"$f.log" 2>&1
}
plan "$P2" || fail "suggest: $(cat "$P2.log")"
[ "$status" -eq 0 ] && for d in $A $B; do
	[ "$(field "$P2" $d 'v["placed"]')" = True ] || fail "$d not placed: $(cat "$P2.log")"
	[ "$(ways "$P2" $d)" -gt 0 ] || fail "the plan gives $d no ways"
done
[ "$(field "$P2" $B '[m["bandwidth"] for m in v.get("memorytune", [])]')" = "[50]" ] ||
	fail "$B: the plan has no memorytune of 50: $(field "$P2" $B 'v.get("memorytune")')"
# The probe saw the default group holding every way: the plan says what hostprep releases.
release=$(( $(ways "$P2" $A) | $(ways "$P2" $B) ))
grep -qF "cache 0: needs \`vmplan hostprep --apply\` to release ways $(printf 0x%x $release) from the default group" \
	"$P2.log" || fail "the summary does not name the ways to release: $(cat "$P2.log")"
# Keeping the default group as it is leaves no way free of every group: refused, with why.
plan "$TMP/keep.json" --resctrl-default keep
grep -q "the default resctrl group holds ways 0xfc and libvirt takes none of them" "$TMP/keep.json.log" ||
	fail "--resctrl-default keep: not refused for the default group: $(cat "$TMP/keep.json.log")"
"$VMPLAN" export "$P2" --define $URI --out-dir "$TMP" >"$TMP/define2.log" 2>&1 ||
	fail "define: $(cat "$TMP/define2.log")"
# What hostprep writes (1.): the longest run of the ways no VM is planned.
keep=$(python3 -c 'import sys
rest = 0xff & ~int(sys.argv[1]); best = 0
for lo in range(8):
    for hi in range(lo, 8):
        run = ((1 << (hi - lo + 1)) - 1) << lo
        if rest & run == run and bin(run).count("1") > bin(best).count("1"): best = run
print("%x" % best)' $release)
printf 'L3:0=%s\nMB:0=100\n' "$keep" >$R/schemata
for d in $A $B; do check "$P2" $d; done
[ "$status" -eq 0 ] && echo "libvirt programmed the planned ways and bandwidth of $S, then $A and $B"
exit $status
