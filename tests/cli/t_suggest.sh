# vmplan suggest end to end: the README's example, plan.json, --xml-dir, --show-xml, help.
. "$(dirname "$0")/lib.sh"
command -v xmllint >/dev/null || { echo "skip: xmllint (libxml2-utils) is missing"; exit 77; }

# xpath FILE EXPR: the value of an XPath expression over an XML file.
xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }

run suggest --synthetic "pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2" \
	--vm name=a,vcpus=4,memory=8G --xml-dir "$TMP/out.d" -o "$TMP/plan.json"
expect_status 0 "README example"
expect_in out "1 of 1 VM placed" "summary line"
expect_true "a.xml written" test -s "$TMP/out.d/a.xml"
expect_true "plan.json written" test -s "$TMP/plan.json"
expect_true "plan.json says placed" grep -q '"placed": true' "$TMP/plan.json"

x="$TMP/out.d/a.xml"
expect_true "four vcpupins" [ "$(xpath "$x" 'count(/domain/cputune/vcpupin)')" = 4 ]
pins=$(for i in 1 2 3 4; do xpath "$x" "string(/domain/cputune/vcpupin[$i]/@cpuset)"; echo; done | grep -v '^$')
expect_true "four distinct PUs" [ "$(echo "$pins" | sort -u | wc -l)" = 4 ]
node=$(xpath "$x" 'string(/domain/numatune/memory/@nodeset)')
expect_true "numatune names one node" [ "$node" = 0 ] || [ "$node" = 1 ]
for p in $pins; do
	# Synthetic node 0 holds CPUs 0-15, node 1 CPUs 16-31.
	expect_true "PU $p on node $node" [ $((p / 16)) = "$node" ]
done
expect_true "memory in KiB" [ "$(xpath "$x" 'string(/domain/memory)')" = 8388608 ]
expect_true "host-passthrough" [ "$(xpath "$x" 'string(/domain/cpu/@mode)')" = host-passthrough ]
expect_true "topology threads=2" [ "$(xpath "$x" 'string(/domain/cpu/topology/@threads)')" = 2 ]
expect_true "one guest cell" [ "$(xpath "$x" 'count(/domain/cpu/numa/cell)')" = 1 ]
if [ -r /usr/share/libvirt/schemas/domain.rng ]; then
	expect_true "XML valid for libvirt's schema" \
		xmllint --noout --relaxng /usr/share/libvirt/schemas/domain.rng "$x"
fi

# Rewriting keeps no temporary files behind.
expect_true "no temporary files" [ -z "$(find "$TMP/out.d" -name '*.tmp.*')" ]

run suggest --synthetic "node:1 core:2 pu:2" --vm name=s,vcpus=2,memory=256M --show-xml --type qemu
expect_status 0 "--show-xml"
expect_in out "<domain type=\"qemu\">" "XML printed with the type asked"
expect_in out "<vcpupin vcpu=\"1\"" "pins printed"
# Only the domain XML on stdout, so '| virsh define /dev/stdin' takes it; the plan on stderr.
expect_true "stdout starts with the XML declaration" test "$(head -c 5 "$TMP/out")" = "<?xml"
command -v xmllint >/dev/null && expect_true "stdout is one well-formed document" xmllint --noout "$TMP/out"
expect_in err "1 of 1 VM placed" "the plan in words on stderr"

run suggest --synthetic "node:2 core:2 pu:1" --order given --vm name=a,vcpus=2,memory=256M \
	--vm name=b,vcpus=4,memory=256M --xml-dir "$TMP/partial"
expect_status 3 "some VM not placed"
expect_in out "not placed" "the refusal is shown"
expect_true "XML for the placed VM" test -s "$TMP/partial/a.xml"
expect_true "no XML for the refused VM" test ! -e "$TMP/partial/b.xml"

run suggest --synthetic "node:1 core:4 pu:2" --reserve 0-1 --vm name=r,vcpus=6,memory=256M --show-xml
expect_status 0 "--reserve"
expect_in err "reserved for housekeeping: 0-1" "reservation shown (on stderr beside --show-xml)"
expect_true "reserved CPUs unused" not grep -qE "vcpupin vcpu=\"[0-9]+\" cpuset=\"[01]\"" "$TMP/out"
expect_true "the VM uses the other CPUs" grep -q 'cpuset="7"' "$TMP/out"

run suggest --synthetic "node:1 core:2 pu:1" --vm name=e,vcpus=1,memory=256M --engine guest \
	-o "$TMP/engine.json"
expect_status 2 "--engine without --validate"
expect_in err "add --validate" "--engine without --validate says what is missing"
expect_true "nothing written without --validate" test ! -e "$TMP/engine.json"
run suggest --synthetic "node:1 core:2 pu:1" --vm name=e,vcpus=1,memory=256M --validate \
	--engine vm
expect_status 2 "a bad --engine"
expect_in err "bad --engine 'vm'" "a bad --engine is named"

run --help
expect_status 0 "--help"
expect_in out "suggest" "commands listed"
expect_in out "3  the plan was made but at least one VM could not be placed" "exit statuses"
run help suggest
expect_status 0 "help suggest"
expect_in out "--xml-dir DIR" "suggest options"
run suggest --help
expect_status 0 "suggest --help"
run --version
expect_status 0 "--version"
expect_in out "vmplan " "version printed"

finish
