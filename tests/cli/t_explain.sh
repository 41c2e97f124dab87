# suggest --explain: the deciding facts per VM (who holds the node it wanted), the full
# trace behind --explain=full, and what the host must do before the domains start.
. "$(dirname "$0")/lib.sh"
SYN="pack:2 [numa(memory=8GiB)] l3:1 core:4 pu:2"

# Hugepages the pools do not hold show in the plain output, with the write that fixes it.
run suggest --synthetic "$SYN" --vm name=h,vcpus=2,memory=2G,hugepages=2M
expect_status 0 "a VM in hugepages"
expect_in out "before starting these domains:" "host preparation in the plain output"
expect_in out "node 0: 1024 pages of 2048 kB needed" "pages to reserve per node"
expect_in out "echo 1024 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages" \
	"the sysfs write"
expect_true "no score line without --explain" not grep -q "score" "$TMP/out"
run suggest --synthetic "$SYN" --vm name=p,vcpus=2,memory=2G
expect_true "nothing to prepare without hugepages" not grep -q "before starting" "$TMP/out"
expect_in out "1 of 1 VM placed" "one VM, singular"

# A VM spread over two nodes says why: no node has that much memory.
run suggest --synthetic "$SYN" --vm name=big,vcpus=4,memory=12G --explain
expect_in out "as 12GiB is more than any node's memory (the most: 8GiB)" "why it is spread"
expect_in out "score 75.0 of 100, -20.0 for 2 nodes, -5.0 for the distance between them" \
	"the score term by term"
lines=$(grep -c "why" "$TMP/out")
run suggest --synthetic "$SYN" --vm name=big,vcpus=4,memory=12G --explain=full
expect_status 0 "--explain=full"
expect_true "the full trace is longer than the brief" test "$(grep -c "why" "$TMP/out")" -gt "$lines"
run suggest --synthetic "$SYN" --vm name=big,vcpus=4,memory=12G --explain=all
expect_status 2 "--explain=all"
expect_in err "--explain takes 'full' or nothing" "the message names the choice"

# A VM whose device's node is taken names the VMs that took it.
PCI="$VMPLAN_FIXTURES/hwloc-xml/24em64t-2n6c2t-pci.xml"
if [ -r "$PCI" ]; then
	run probe --topology "$PCI" -o "$TMP/pci.json"
	dev=device=0000:14:00.0
	run suggest --host "$TMP/pci.json" --explain --order given --vm "name=a,vcpus=6,memory=1G,$dev" \
		--vm "name=b,vcpus=4,memory=1G,$dev" --vm "name=c,vcpus=2,memory=1G,$dev"
	expect_status 0 "three VMs near one GPU"
	expect_in out "device 0000:14:00.0 is on node 1, where it runs" "a runs near its device"
	expect_in out "device 0000:14:00.0 is on node 1 (distance 20 from node 0); CPUs there are held by a (6), b (4), housekeeping (2)" \
		"c says who took its device's node"
	expect_in out "-10.0 for the distance to its device" "the device term of the score"
else
	echo "skip: ../shared/fixtures is missing; the device case is not checked"
fi
finish
