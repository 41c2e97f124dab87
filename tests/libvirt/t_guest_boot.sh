# A real guest: vmplan's initramfs (vmplan-guest as /init) and Debian's cloud kernel, booted
# as a transient TCG domain with 2 vCPUs in 2 NUMA cells; its one VMPLAN-RESULT line on the
# serial port must come back with 2 nodes, and the domain must power itself off.
# Skips (77) where libvirtd or the kernel is missing; tests/libvirt/start-daemons.sh starts it.
set -u
: "${MAKE_GUEST_IMAGE:?MAKE_GUEST_IMAGE must name the image helper}"
: "${VMPLAN_GUEST:?VMPLAN_GUEST must name the guest program}"
. "$(dirname "$0")/lib.sh"
NAME=vmplan-guest-boot-$$
DOMAINS="$NAME $NAME-bad"
LIMIT=${GUEST_BOOT_LIMIT:-60} # seconds to wait for the result (about 6 s here, more if busy)
WORKLOADS=${GUEST_WORKLOADS:-stream,latency}
chmod 755 "$TMP" # QEMU may run as another user and must reach the image and the log

need_libvirtd
KERNEL=$("$MAKE_GUEST_IMAGE" "$TMP/initrd.img" "$VMPLAN_GUEST") || fail "cannot write the image"
[ -n "$KERNEL" ] || skip "no /boot/vmlinuz-*-cloud-amd64 (install linux-image-cloud-amd64)"
[ -s "$TMP/initrd.img" ] || fail "the image is empty"

cat >"$TMP/domain.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <cpu>
    <topology sockets='2' dies='1' cores='1' threads='1'/>
    <numa>
      <cell id='0' cpus='0' memory='128' unit='MiB'/>
      <cell id='1' cpus='1' memory='128' unit='MiB'/>
    </numa>
  </cpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$KERNEL</kernel>
    <initrd>$TMP/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 vmplan.vm=t vmplan.workloads=$WORKLOADS vmplan.seconds=0.2 vmplan.reps=3</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='$TMP/console.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML

t0=$(date +%s.%N)
virsh -c "$URI" create "$TMP/domain.xml" >"$TMP/create.log" 2>&1 || fail "virsh create"
result=
while :; do
	now=$(date +%s.%N)
	result=$(grep -a '^VMPLAN-RESULT ' "$TMP/console.log" 2>/dev/null | tr -d '\r')
	[ -n "$result" ] && break
	awk -v a="$t0" -v b="$now" -v l="$LIMIT" 'BEGIN { exit !(b - a > l) }' &&
		fail "no VMPLAN-RESULT line within $LIMIT s"
	sleep 0.2
done
t_result=$(awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
# The guest powers itself off after the line: the transient domain disappears.
gone=
for _ in $(seq 1 100); do
	virsh -c "$URI" domstate "$NAME" >/dev/null 2>&1 || { gone=1; break; }
	sleep 0.1
done
t_gone=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "$result"
echo "boot to result: ${t_result} s; domain gone after ${t_gone} s"
[ "$(grep -ac '^VMPLAN-RESULT ' "$TMP/console.log")" -eq 1 ] || fail "more than one result line"
[ -n "$gone" ] || fail "the domain did not power off"
json=${result#VMPLAN-RESULT }
python3 - "$json" "$WORKLOADS" <<'PY' || fail "the result does not match the contract"
import json, sys
r = json.loads(sys.argv[1])
assert r["schema"] == 1 and r["vm"] == "t" and r["error"] is None, r
t = r["topology"]
assert [n["id"] for n in t["nodes"]] == [0, 1], t
assert [n["cpus"] for n in t["nodes"]] == ["0", "1"], t
# MemTotal: the cell less what the kernel keeps (most of it on node 0)
assert all(64 << 20 < n["memory_bytes"] <= 128 << 20 for n in t["nodes"]), t
assert t["distances"] == [[10, 20], [20, 10]], t
assert (t["sockets"], t["cores"], t["threads"]) == (2, 1, 1), t
w = r["workloads"]
assert sorted(w) == sorted(sys.argv[2].split(",")), w
assert w["stream"]["unit"] == "GB/s" and w["stream"]["higher_is_better"] is True
assert w["latency"]["unit"] == "ns" and w["latency"]["higher_is_better"] is False
for m in w.values():
    assert len(m["samples"]) == 3 and all(s > 0 for s in m["samples"]), m
PY
# A command line the program refuses: still one line, with the error and the topology, and off.
sed -e "s/<name>.*</<name>$NAME-bad</" -e "s/vmplan.workloads=[^ ]*/vmplan.workloads=disk/" \
	-e "s|console.log|console-bad.log|" "$TMP/domain.xml" >"$TMP/bad.xml"
virsh -c "$URI" create "$TMP/bad.xml" >"$TMP/create-bad.log" 2>&1 || fail "virsh create (bad)"
for _ in $(seq 1 $((LIMIT * 5))); do
	grep -aq '^VMPLAN-RESULT ' "$TMP/console-bad.log" 2>/dev/null && break
	sleep 0.2
done
bad=$(grep -a '^VMPLAN-RESULT ' "$TMP/console-bad.log" | tr -d '\r')
echo "$bad"
python3 - "${bad#VMPLAN-RESULT }" <<'PY' || fail "the refused command line gave no error result"
import json, sys
r = json.loads(sys.argv[1])
assert "unknown workload 'disk'" in r["error"], r
assert len(r["topology"]["nodes"]) == 2 and r["workloads"] == {}, r
PY
for _ in $(seq 1 100); do
	virsh -c "$URI" domstate "$NAME-bad" >/dev/null 2>&1 || break
	sleep 0.1
done
virsh -c "$URI" domstate "$NAME-bad" >/dev/null 2>&1 && fail "the refusing guest did not power off"
echo "ok"
