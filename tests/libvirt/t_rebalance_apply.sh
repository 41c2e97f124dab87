# rebalance --apply's re-pin against a real libvirtd and QEMU: a running guest pinned to CPU 0
# re-pinned to the last CPU through vmp_rebalance_apply() (the calls --apply makes), read back
# live, persistent and from /proc. Skips (77) where libvirtd does not answer.
set -u
: "${APPLY_REPIN:?APPLY_REPIN must name the apply_repin program}"
. "$(dirname "$0")/lib.sh"
NAME=vmplan-repin-$$
DOMAINS="$NAME"

need_libvirtd
LAST=$(($(getconf _NPROCESSORS_ONLN) - 1))
[ "$LAST" -ge 1 ] || skip "one CPU: nowhere to re-pin to"

# No disk: the guest sits in its firmware, enough to see where its threads run. No memtune
# hard_limit (this sandbox refuses the RLIMIT_MEMLOCK raise it needs).
cat >"$TMP/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>128</memory>
  <vcpu placement='static'>1</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='0'/><emulatorpin cpuset='0'/></cputune>
  <numatune><memory mode='strict' nodeset='0'/></numatune>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><console type='pty'/></devices>
</domain>
XML
virsh -c "$URI" define "$TMP/dom.xml" >"$TMP/define.log" 2>&1 || fail "define"
virsh -c "$URI" start "$NAME" >"$TMP/start.log" 2>&1 || fail "start"

"$APPLY_REPIN" "$URI" "$NAME" "$LAST" 0 dry >"$TMP/dry.log" 2>&1 || fail "dry run"
grep -q "would call virDomainPinVcpuFlags($NAME, vcpu 0, cpus $LAST, LIVE|CONFIG)" "$TMP/dry.log" ||
	fail "the dry run does not say the vCPU pin"
virsh -c "$URI" vcpupin "$NAME" 0 --live | grep -Eq "^ *0 +0$" || fail "the dry run changed the pin"

"$APPLY_REPIN" "$URI" "$NAME" "$LAST" 0 >"$TMP/apply.log" 2>&1 || fail "apply"
grep -q "virDomainPinVcpuFlags($NAME, vcpu 0, cpus $LAST, LIVE|CONFIG)" "$TMP/apply.log" ||
	fail "not pinned LIVE|CONFIG in one call"
for mode in --live --config; do
	virsh -c "$URI" vcpupin "$NAME" 0 $mode | grep -Eq "^ *0 +$LAST$" ||
		fail "vCPU 0 not on CPU $LAST ($mode)"
	virsh -c "$URI" emulatorpin "$NAME" $mode | grep -Eq "\*: +$LAST$" ||
		fail "the emulator not on CPU $LAST ($mode)"
done
virsh -c "$URI" numatune "$NAME" --live | grep -Eq "numa_nodeset +: 0$" || fail "the nodeset"
# The vCPU thread itself, as the kernel sees it.
pid=$(cat "/run/libvirt/qemu/$NAME.pid" 2>/dev/null)
if [ -n "$pid" ]; then
	tid=$(virsh -c "$URI" qemu-monitor-command "$NAME" --hmp "info cpus" 2>/dev/null |
		sed -n 's/.*thread_id=\([0-9]*\).*/\1/p' | head -1)
	if [ -n "$tid" ]; then
		grep -Eq "^Cpus_allowed_list:[[:space:]]+$LAST$" "/proc/$pid/task/$tid/status" ||
			fail "the vCPU thread $tid is not on CPU $LAST in /proc"
	fi
fi
echo "ok: vCPU 0 and the emulator re-pinned to CPU $LAST, live and persistent"
