# A fleet with a real libvirtd host (qemu:///system) and a test-driver host: suggest --fleet
# places VMs on both, export --define fleet defines the real host's VM through libvirtd; then
# suggest --migrate takes that VM, started, from the real host to a test-driver destination.
# Skips (77) where libvirtd does not answer; tests/libvirt/start-daemons.sh starts it.
set -u
: "${VMPLAN:?VMPLAN must name the vmplan binary}"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../cli/testnode.sh"
REAL=vmplan-fleet-real-$$
TD=vmplan-fleet-td-$$
DOMAINS="$REAL $TD"

need_libvirtd

# A test-driver host of 4 CPUs, 4 GiB; the destination of the migration holds CPUs 0-1.
test_node "$TMP/node.xml" 1 4194304
test_node "$TMP/dst.xml" 1 4194304 busy:1024:0-1:2
cat >"$TMP/fleet.yaml" <<EOF
hosts:
  - uri: $URI
    name: real
    labels: [real]
  - uri: test://$TMP/node.xml
    name: td
    labels: [td]
EOF

# No memtune hard_limit: this sandbox refuses the RLIMIT_MEMLOCK raise it needs at start.
"$VMPLAN" suggest --fleet "$TMP/fleet.yaml" --type qemu --reserve none \
	--vm "name=$REAL,vcpus=1,memory=128M,host=real" --vm "name=$TD,vcpus=1,memory=128M,host=td" \
	-o "$TMP/plan.json" >"$TMP/suggest.log" 2>&1 || fail "suggest --fleet"
grep -q "2 of 2 VMs placed on 2 hosts" "$TMP/suggest.log" || fail "not placed on both hosts"
grep -q "\"uri\": \"$URI\"" "$TMP/plan.json" || fail "the real host not in the fleet plan"
"$VMPLAN" export "$TMP/plan.json" --define fleet --type qemu >"$TMP/define.log" 2>&1 ||
	fail "export --define fleet"
grep -q "$REAL: created" "$TMP/define.log" || fail "the real host's VM not created"
grep -q "$TD: created" "$TMP/define.log" || fail "the test-driver host's VM not created"
virsh -c "$URI" dumpxml --inactive "$REAL" >"$TMP/real.xml" 2>&1 || fail "not defined in libvirtd"
pin=$(awk '/"vcpupin": \[/ { on = 1; next } on { gsub(/[ ,]/, ""); print; exit }' "$TMP/plan.json")
grep -q "<vcpupin vcpu='0' cpuset='$pin'/>" "$TMP/real.xml" ||
	fail "libvirtd's definition lacks the pin $pin"
virsh -c "$URI" dominfo "$TD" >/dev/null 2>&1 && fail "the test-driver host's VM reached libvirtd"

# Stopped: --migrate refuses it.
"$VMPLAN" suggest --migrate "$REAL" --connect "$URI" --to "test://$TMP/dst.xml" \
	>"$TMP/stopped.log" 2>&1
[ $? -eq 2 ] || fail "a stopped VM: not exit status 2"
grep -q "domain '$REAL' on '$URI' is not running" "$TMP/stopped.log" ||
	fail "not running: not said"

# Running (a guest without a disk sits in its firmware): planned on the test-driver host.
virsh -c "$URI" start "$REAL" >"$TMP/start.log" 2>&1 || fail "start"
"$VMPLAN" suggest --migrate "$REAL" --connect "$URI" --to "test://$TMP/dst.xml" --reserve none \
	--xml-dir "$TMP/xml" >"$TMP/migrate.log" 2>&1 || fail "suggest --migrate"
grep -q "its shape: name=$REAL,vcpus=1,memory=128MiB,cpu=dedicated" "$TMP/migrate.log" ||
	fail "the shape of the running VM"
grep -q "vcpupin   0:2" "$TMP/migrate.log" || fail "not the destination's first free CPU (2)"
grep -q '<vcpupin vcpu="0" cpuset="2"/>' "$TMP/xml/$REAL.xml" || fail "the destination XML's pin"
# The VM's own XML, merged: its uuid and the devices libvirtd gave it.
uuid=$(virsh -c "$URI" domuuid "$REAL" | head -n 1)
grep -q "<uuid>$uuid</uuid>" "$TMP/xml/$REAL.xml" || fail "not the VM's own XML (uuid)"
grep -q "<emulator>" "$TMP/xml/$REAL.xml" || fail "not the VM's own XML (devices)"
virsh -c "$URI" destroy "$REAL" >/dev/null 2>&1 || fail "destroy"
virsh -c "$URI" undefine "$REAL" >/dev/null 2>&1 || fail "undefine"
echo "ok: a fleet of a real and a test-driver host planned and defined; a running VM planned" \
	"for migration to a test-driver host"
