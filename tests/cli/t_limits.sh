#!/usr/bin/env bash
# Input limits, checked before a library does the work: what crashes or stalls hwloc, libyaml
# or a read never reaches them; what vmplan cannot write back is refused at input (exit 2).
. "$(dirname "$0")/lib.sh"
DATA=$VMPLAN_SOURCE_DIR/tests/data/hostile
XML=$DATA/topology-small.xml
S="pack:1 core:4 pu:1"
ONE=name=a,vcpus=1,memory=1G

# lrun ARGS...: run under a time limit; a signal or a hang is a failure of its own.
lrun() {
	timeout 20 "$VMPLAN" "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
	checks=$((checks + 1))
	if [ "$status" -eq 124 ]; then
		fail "hung: vmplan $*"
	elif [ "$status" -gt 128 ]; then
		fail "killed by signal $((status - 128)): vmplan $*"
	fi
}
# refused MESSAGE ARGS...: exit 2 with MESSAGE on stderr.
refused() {
	local msg=$1
	shift
	lrun "$@"
	expect_status 2 "vmplan $*"
	expect_in err "$msg" "message of vmplan $*"
}

lrun probe --topology "$XML"
expect_status 0 "the small hwloc XML itself is fine"

# -- hwloc XML: a DOCTYPE without SYSTEM id crashed hwloc's reader (SIGSEGV)
sed 's/<!DOCTYPE topology SYSTEM "hwloc2.dtd">/<!DOCTYPE topology>/' "$XML" >"$TMP/nodoc.xml"
for cmd in probe "suggest --vm $ONE" "report host --out $TMP/rep"; do
	# shellcheck disable=SC2086
	refused "its DOCTYPE has no SYSTEM id" $cmd --topology "$TMP/nodoc.xml"
done
sed 's/<!DOCTYPE topology SYSTEM "hwloc2.dtd">/<!DOCTYPE topology [<!ENTITY x "y">]>/' \
	"$XML" >"$TMP/entity.xml"
refused "its DOCTYPE declares entities" probe --topology "$TMP/entity.xml"

# -- values vmplan could not write back: node >= 4096 (nodeset=""), package > INT_MAX
sed 's/type="NUMANode" os_index="0"/type="NUMANode" os_index="5000"/' "$XML" >"$TMP/node.xml"
refused "topology has NUMA node 5000, beyond the 4096 nodes" probe --topology "$TMP/node.xml"
sed 's/type="Package" os_index="0"/type="Package" os_index="3000000000"/' "$XML" >"$TMP/pkg.xml"
refused "topology has package 3000000000" probe --topology "$TMP/pkg.xml"

# -- a synthetic description is counted before hwloc builds 262,144 CPUs
refused "more than the 4096 CPUs vmplan supports" probe --synthetic "pack:64 core:64 pu:64"
refused "more than the 4096 CPUs vmplan supports" probe --synthetic "64 64 64"
lrun probe --synthetic "pack:16 core:16 pu:16"
expect_status 0 "exactly 4096 CPUs"

# -- regular files only, bounded: no device, no FIFO
refused "cannot read plan '/dev/zero': not a regular file" export /dev/zero
mkfifo "$TMP/fifo"
refused "not a regular file" export "$TMP/fifo"
refused "not a regular file" suggest --synthetic "$S" --vms "$TMP/fifo"
refused "not a regular file" probe --topology "$TMP/fifo"
refused "not a regular file" suggest --host "$TMP/fifo" --vm $ONE
truncate -s 65M "$TMP/big.json"
refused "larger than 64 MiB" export "$TMP/big.json"

# -- YAML depth: a deeply nested 240 KB mix took over a minute
python3 -c "print('vms: ' + '[' * 120000 + ']' * 120000)" >"$TMP/deep.yaml"
refused "nested more than 16 deep" suggest --synthetic "$S" --vms "$TMP/deep.yaml"

# -- duplicate keys: two top-level vms: lists, a profile with a key twice
printf 'vms:\n  - {name: a, vcpus: 1, memory: 1G}\nvms:\n  - {name: b, vcpus: 1, memory: 1G}\n' \
	>"$TMP/two.yaml"
refused "'vms' is given twice" suggest --synthetic "$S" --vms "$TMP/two.yaml"
mkdir "$TMP/profiles"
printf 'vcpus: 2\nmemory: 1G\nvcpus: 4\n' >"$TMP/profiles/twice.yaml"
VMPLAN_PROFILE_DIR=$TMP/profiles lrun suggest --synthetic "$S" --vm name=p,profile=twice
expect_status 2 "a profile with a key twice"
expect_in err "key 'vcpus' is given twice" "the duplicate profile key is named"

# -- text: UTF-8 without control characters, '..' in no firmware path, plan.json as --vm
refused "device is not valid UTF-8 text" suggest --synthetic "$S" --vm "$ONE,device=$(printf 'e\377')"
refused "loader is not valid UTF-8 text" suggest --synthetic "$S" --vm "$ONE,loader=/a$(printf '\377')"
refused "nvram must not contain '..'" suggest --synthetic "$S" --vm "$ONE,nvram=/var/../etc/x"
lrun suggest --synthetic "$S" --vm "$ONE,loader=/usr/share/OVMF/OVMF_CODE.fd" -o "$TMP/p.json"
expect_status 0 "a plan with a loader"
sed 's|/usr/share/OVMF/OVMF_CODE.fd|/usr/../etc/shadow|' "$TMP/p.json" >"$TMP/dots.json"
refused "loader must not contain '..'" export "$TMP/dots.json"
sed 's|/usr/share/OVMF/OVMF_CODE.fd|/usr/x\\nfoo|' "$TMP/p.json" >"$TMP/nl.json"
refused "loader must not contain control characters" export "$TMP/nl.json"

# -- page sizes that are not page sizes, on the command line and in a plan
refused "hugepages must be a page size" suggest --synthetic "$S" --vm "name=a,vcpus=1,memory=3G,hugepages=3M"
lrun suggest --synthetic "pack:1 [numa(memory=8GB)] core:4 pu:1" \
	--vm name=a,vcpus=1,memory=1G,hugepages=2M -o "$TMP/hp.json"
expect_status 0 "a plan with 2M pages"
sed 's/2097152/3145728/g' "$TMP/hp.json" >"$TMP/hp3.json"
refused "hugepages must be a page size" export "$TMP/hp3.json"

# -- a plan whose pins name CPUs the host lacks does not reach a report
H="pack:1 [numa(memory=8GB)] core:4 pu:1"
lrun suggest --synthetic "$H" --vm name=a,vcpus=2,memory=1G -o "$TMP/p4.json"
expect_status 0 "a plan for the small host"
python3 - "$TMP/p4.json" "$TMP/p5.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["vms"][0]["vcpupin"][1] = 99
d["vms"][0]["pcpus"] = "1,99"
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
refused "pins VM 'a' on CPU 99, which host 'synthetic' does not have" \
	report host --synthetic "$H" --plan "$TMP/p5.json" --out "$TMP/rh"

# -- an export's host name with a control character (XML allows a newline) is refused
sed 's/value="small"/value="evil\&#10;name"/' "$XML" >"$TMP/nl.xml"
refused "host name must not contain control characters" probe --topology "$TMP/nl.xml"

# -- a saved host.json whose host name holds a terminal escape
lrun probe --synthetic "$S" -o "$TMP/h.json"
sed 's/"hostname": "synthetic"/"hostname": "evil\\u001b[2J"/' "$TMP/h.json" >"$TMP/he.json"
refused "hostname must be UTF-8 text without control characters" probe --host "$TMP/he.json"
expect_true "no escape reached the terminal" not grep -q "$(printf '\033')" "$TMP/out" "$TMP/err"

# -- a FIFO in an --fsroot snapshot blocked forever (the fixture tier: real snapshots)
if [ -d "${VMPLAN_FIXTURES:-/nonexistent}/hwloc-linux" ]; then
	tar xjf "$VMPLAN_FIXTURES/hwloc-linux/64amd64-4s2n4ca2co.tar.bz2" -C "$TMP"
	R=$TMP/64amd64-4s2n4ca2co
	lrun probe --fsroot "$R"
	expect_status 0 "the snapshot itself is fine"
	mkdir -p "$R/proc/sys/kernel"
	printf 'evil\033[2J\n' >"$R/proc/sys/kernel/hostname"
	refused "host name must not contain control characters" probe --fsroot "$R"
	expect_true "no escape reached the terminal" not grep -q "$(printf '\033')" "$TMP/out" "$TMP/err"
	rm "$R/proc/sys/kernel/hostname"
	rm "$R/sys/devices/system/cpu/cpu0/topology/core_id"
	mkfifo "$R/sys/devices/system/cpu/cpu0/topology/core_id"
	refused "core_id' is a FIFO or a socket" probe --fsroot "$R"
	rm "$R/sys/devices/system/cpu/cpu0/topology/core_id"
	ln -s /dev/zero "$R/sys/devices/system/cpu/cpu0/topology/core_id"
	refused "core_id' is a device" probe --fsroot "$R"
else
	echo "note: no fixtures, the --fsroot checks are skipped"
fi

finish
