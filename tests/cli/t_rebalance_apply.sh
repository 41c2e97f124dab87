# rebalance --apply end to end against libvirt's test driver: a re-pin applied, a migration that
# the driver cannot do stopping the list, host.json hosts refused, --dry-run.
. "$(dirname "$0")/lib.sh"

# A two-node test-driver host: a live re-pin gathers a and b on one node.
test_node "$TMP/two.xml" 2 8388608 a:1024:0-1:2:0 b:1024:4-5:2:1
printf 'hosts:\n  - uri: test://%s/two.xml\n    name: two\n' "$TMP" >"$TMP/two.yaml"
ROOM="--make-room name=big,vcpus=4,memory=2G,numa=1 --reserve none"

run rebalance --fleet "$TMP/two.yaml" $ROOM --apply --dry-run
expect_status 0 "--dry-run"
expect_in out "1. re-pin a (1GiB) on two from pins 0-1 to pins 6-7 on node 1" "the steps first"
expect_in out "step 1: would call virDomainPinVcpuFlags(a, vcpu 0, cpus 6, LIVE|CONFIG)" \
	"the vCPU pin it would make, live and persistent for a running domain"
expect_in out "step 1: would call virDomainSetNumaParameters(a, nodeset 1, LIVE|CONFIG)" \
	"the memory nodes"
expect_in out "dry run: nothing changed" "said so"

run rebalance --fleet "$TMP/two.yaml" $ROOM --apply
expect_status 0 "--apply of a re-pin"
expect_in out "applying:" "applies"
expect_in out "step 1: virDomainPinVcpuFlags(a, vcpu 1, cpus 7, " "the second vCPU pinned"
expect_in out "step 1: virDomainPinEmulator(a, cpus 6-7, " "the emulator pinned"
expect_in out "applied: 1 step" "done"

run rebalance --fleet "$TMP/two.yaml" $ROOM --dry-run
expect_status 2 "--dry-run without --apply"
expect_in err "--dry-run goes with --apply" "said so"

# Two one-node test-driver hosts, 2 CPUs busy on each: the 4-vCPU VM needs a migration, which
# the test driver cannot do.
for h in t1 t2; do
	test_node "$TMP/$h.xml" 1 8388608 "vm-$h:1024:2-3:2:0"
done
printf 'hosts:\n  - uri: test://%s/t1.xml\n    name: t1\n  - uri: test://%s/t2.xml\n    name: t2\n' \
	"$TMP" "$TMP" >"$TMP/pair.yaml"
run rebalance --fleet "$TMP/pair.yaml" $ROOM --xml-dir "$TMP/xml" --apply --dry-run
expect_status 0 "--dry-run of a migration"
expect_in out "step 1: would call virDomainMigrate3(vm-t1, to test://$TMP/t2.xml, DEST_XML" \
	"the migration it would make"
expect_in out "LIVE|PERSIST_DEST|UNDEFINE_SOURCE)" "live, persistent there, source undefined"
expect_true "the destination XML keeps the guest's definition" \
	grep -q '<vcpu placement="static" cpuset="2-3">2</vcpu>' "$TMP/xml/1-vm-t1.xml"
expect_true "with the destination's pins in cputune" \
	grep -q '<vcpupin vcpu="0" cpuset="' "$TMP/xml/1-vm-t1.xml"
run rebalance --fleet "$TMP/pair.yaml" $ROOM --apply
expect_status 1 "a migration the driver cannot do"
expect_in err "step 1 (migrate 'vm-t1') failed: virDomainMigrate3(vm-t1, from test://$TMP/t1.xml" \
	"the failing step named, with the call"
expect_in err "no step was applied: the fleet is as it was" "what it left"
expect_true "nothing after it" not grep -q "applied: " "$TMP/out"

# A host given as host.json cannot be changed: refused before anything runs.
run probe --synthetic "pack:1 [numa(memory=8GB)] core:4 pu:1" -o "$TMP/empty.json"
expect_status 0 "probe"
running_host_json "$TMP/empty.json" "$TMP/h0.json" vm-h0
printf 'hosts:\n  - host: h0.json\n    name: h0\n  - uri: test://%s/t2.xml\n    name: t2\n' \
	"$TMP" >"$TMP/mixed.yaml"
run rebalance --fleet "$TMP/mixed.yaml" $ROOM --apply
expect_status 2 "--apply with a host.json host in a step"
expect_in err "--apply cannot change host 'h0' (step 1, migration of " "the host named"
expect_true "nothing applied" not grep -q "applying:" "$TMP/out"

finish
