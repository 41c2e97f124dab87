# suggest --migrate VM --to URI with libvirt's test driver: source and destination node files.
. "$(dirname "$0")/lib.sh"

# The source runs 'db' (2 vCPUs pinned to 0-1, 2 GiB, an I/O thread, a disk, 2M hugepages,
# shares); the destination's 'busy' holds CPUs 0-1.
cat >"$TMP/src.xml" <<'XML'
<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type='test'>
    <name>db</name><memory unit='MiB'>2048</memory>
    <vcpu placement='static'>2</vcpu>
    <iothreads>1</iothreads>
    <memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages></memoryBacking>
    <cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/><shares>2048</shares></cputune>
    <numatune><memory mode='strict' nodeset='0'/></numatune>
    <os><type>hvm</type></os>
    <devices><disk type='file' device='disk'><source file='/var/lib/db.img'/><target dev='vda' bus='virtio'/></disk></devices>
  </domain>
</node>
XML
test_node "$TMP/dst.xml" 1 8388608 busy:1024:0-1:2
# The test driver runs every domain of its node file (a stopped VM is refused: see
# tests/libvirt/t_fleet_qemu.sh).
SRC="test://$TMP/src.xml"
DST="test://$TMP/dst.xml"

run suggest --migrate db --connect "$SRC" --to "$DST" --reserve none --xml-dir "$TMP/xml" \
	-o "$TMP/plan.json"
expect_status 0 "the VM planned on the destination"
expect_in out "its shape: name=db,vcpus=2,memory=2GiB,cpu=dedicated,memory_mode=strict,iothreads=1,hugepages=2MiB,shares=2048" \
	"the shape read from its domain"
expect_in out "vcpupin   0:2 1:3" "the destination's busy CPUs 0-1 left alone"
expect_in out "virsh -c $SRC migrate --live --persistent --xml $TMP/xml/db.xml db $DST" \
	"the migrate command"
expect_true "the destination XML written" test -s "$TMP/xml/db.xml"
expect_true "new pins in it" grep -q '<vcpupin vcpu="0" cpuset="2"/>' "$TMP/xml/db.xml"
expect_true "not the source's" not grep -q 'cpuset="0"/>' "$TMP/xml/db.xml"
expect_true "the VM's own devices kept (merged, not new)" grep -q '/var/lib/db.img' \
	"$TMP/xml/db.xml"
expect_true "its uuid kept" grep -q '<uuid>' "$TMP/xml/db.xml"
expect_true "hugepages kept" grep -q '<page size="2048"' "$TMP/xml/db.xml"
expect_true "shares kept" grep -q '<shares>2048</shares>' "$TMP/xml/db.xml"
expect_true "the guest's ABI kept: no <cpu> topology or cells added" \
	not grep -Eq '<cpu[ >/]' "$TMP/xml/db.xml"
expect_true "its <vcpu> as it was" grep -q '<vcpu placement="static">2</vcpu>' "$TMP/xml/db.xml"
expect_true "plan.json written" grep -q '"vcpupin"' "$TMP/plan.json"
if command -v virsh >/dev/null; then
	expect_true "the XML is one libvirt's test driver defines" \
		virsh -q -c "$DST" define "$TMP/xml/db.xml"
fi

run suggest --migrate db --connect "$SRC" --to "$DST" --reserve none --show-xml
expect_status 0 "--show-xml"
expect_true "the merged XML on stdout" grep -q '/var/lib/db.img' "$TMP/out"
expect_in err "its shape:" "the plan on stderr"

# The destination has no room: status 3, nothing written.
sed 's/0-1/0-3/' "$TMP/dst.xml" >"$TMP/full.xml"
run suggest --migrate db --connect "$SRC" --to "test://$TMP/full.xml" --reserve none \
	--xml-dir "$TMP/xml2"
expect_status 3 "no room on the destination"
expect_in out "0 of 1 VM placed" "said so"
expect_true "no XML" test ! -e "$TMP/xml2/db.xml"

# Bad input: status 2.
run suggest --migrate nosuch --connect "$SRC" --to "$DST"
expect_status 2 "no such domain"
expect_in err "no domain 'nosuch' on '$SRC'" "named"
run suggest --migrate db --connect "$SRC" --to "$SRC"
expect_status 2 "the same host"
expect_in err "is the host domain 'db' runs on" "said so"
run suggest --migrate db --connect "$SRC"
expect_status 2 "--migrate without --to"
run suggest --to "$DST" --vm name=x,vcpus=1,memory=1G
expect_status 2 "--to without --migrate"
run suggest --migrate db --connect "$SRC" --to "$DST" --vm name=x,vcpus=1,memory=1G
expect_status 2 "--migrate with --vm"
expect_in err "takes the VM's shape from its domain" "why"

finish
