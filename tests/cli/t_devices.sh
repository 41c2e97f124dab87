# Device locality from hwloc's I/O objects and firmware memory attributes, through host.json.
. "$(dirname "$0")/lib.sh"
PCI="$VMPLAN_FIXTURES/hwloc-xml/24em64t-2n6c2t-pci.xml"
MEMATTRS="$VMPLAN_FIXTURES/hwloc-xml/8intel64-4n2t-memattrs.xml"
[ -r "$PCI" ] && [ -r "$MEMATTRS" ] || { echo "skip: ../shared/fixtures is missing"; exit 77; }

run probe --topology "$PCI" -o "$TMP/pci.json"
expect_status 0 "probe a host with PCI devices"
expect_true "NIC eth0 on node 0" grep -q '"name": "eth0"' "$TMP/pci.json"
run probe --host "$TMP/pci.json" --json
expect_in out '"pci": "0000:14:00.0"' "GPU kept by address"

# Without a device the VM goes to the tightest node (both are equal: node 0); naming the
# GPU on node 1 moves it and its I/O thread there.
run suggest --host "$TMP/pci.json" --vm name=a,vcpus=2,memory=1G
expect_status 0 "no device"
expect_in out "cell 0    host node 0" "no device: node 0"
run suggest --host "$TMP/pci.json" --explain=full \
	--vm name=a,vcpus=2,memory=1G,device=0000:14:00.0,iothreads=1,iothread_placement=near-device
expect_status 0 "device named by PCI address"
expect_in out "cell 0    host node 1" "placed on the device's node"
expect_in out "iothread1 1,13" "I/O thread on node 1's housekeeping CPUs"
expect_in out "device 30.00" "the explanation names the device term"
run suggest --host "$TMP/pci.json" --vm name=a,vcpus=2,memory=1G,device=eth0
expect_in out "cell 0    host node 0" "device named by OS name"

# HMAT bandwidth from the firmware: known pairs kept, the others null.
run probe --topology "$MEMATTRS" --json
expect_status 0 "probe a host with memory attributes"
expect_true "firmware bandwidth present" grep -q '"read_gbs"' "$TMP/out"
expect_true "unknown pairs are null" grep -q 'null' "$TMP/out"

finish
