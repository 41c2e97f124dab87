# vmplan under valgrind: success and failure paths of probe, suggest, export and verify
# must have no memory error and no definite leak (ctest label valgrind; skips without valgrind
# and on sanitizer builds, which valgrind cannot run).
. "$(dirname "$0")/lib.sh"
if ! command -v valgrind >/dev/null; then
	echo "skip: valgrind is not installed (apt-get install valgrind)" >&2
	exit 77
fi
if [ "${VMPLAN_SANITIZE:-OFF}" = ON ] || ldd "$VMPLAN" 2>/dev/null | grep -q 'libasan'; then
	echo "skip: $VMPLAN is built with AddressSanitizer, which valgrind cannot run" >&2
	exit 77
fi
S="pack:2 [numa(memory=8GB)] l3:2 core:2 pu:2"
GOLDEN=$VMPLAN_SOURCE_DIR/tests/golden
export HWLOC_HIDE_ERRORS=1

# vg STATUS ARGS...: run vmplan under valgrind; any error makes valgrind exit 99.
vg() {
	local want=$1
	shift
	timeout 300 valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --show-leak-kinds=definite \
		"$VMPLAN" "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
	checks=$((checks + 1))
	if [ "$status" -eq 99 ]; then
		fail "valgrind found errors in: vmplan $*"
		sed -n '1,60p' "$TMP/err" >&2
	elif [ "$status" -ne "$want" ]; then
		fail "vmplan $*: exit status $status, expected $want"
	fi
}

vg 0 --help
vg 0 help suggest
vg 2 nosuch
# probe
vg 0 probe --synthetic "$S" -o "$TMP/host.json"
vg 0 probe --host "$TMP/host.json" --json
vg 0 probe --connect test:///default
vg 2 probe --fsroot "$TMP/nowhere"
vg 2 probe --host "$VMPLAN_SOURCE_DIR/tests/data/hostile/host-missing-node.json"
vg 1 probe --synthetic "$S" -o "$TMP/no/such/dir/host.json"
# suggest
vg 0 suggest --host "$TMP/host.json" --vm name=db,vcpus=4,memory=2G,profile=database \
	--vm name=web,vcpus=2,memory=1G --explain --show-xml -o "$TMP/plan.json" --xml-dir "$TMP/xml"
vg 3 suggest --synthetic "$S" --vms "$VMPLAN_SOURCE_DIR/profiles/examples/mix.yaml" --order given
vg 3 suggest --synthetic "$S" --vm name=big,vcpus=64,memory=1G --explain
vg 0 suggest --connect test:///default --vm name=t,vcpus=1,memory=256M
vg 2 suggest --synthetic "$S" --vm name=a,vcpus=1,memory=12Q
vg 2 suggest --synthetic "$S" --vms "$VMPLAN_SOURCE_DIR/tests/data/hostile/mix-truncated.yaml"
vg 2 suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G,profile=nosuch
# export
vg 0 export "$TMP/plan.json"
vg 0 export "$TMP/plan.json" --format salt --out-dir "$TMP/salt"
vg 0 export "$TMP/plan.json" --format json
vg 0 export "$GOLDEN/full/plan.json" --vm rt \
	--domain-xml "$VMPLAN_SOURCE_DIR/tests/data/domains/webshop.xml" \
	--out-dir "$TMP/merged"
vg 0 export "$TMP/plan.json" --define test:///default --force --dry-run
vg 2 export "$VMPLAN_SOURCE_DIR/tests/data/hostile/plan-wrong-type.json"
vg 2 export "$TMP/plan.json" --format nope
# verify: nothing of the plan runs on the test driver
vg 4 verify "$TMP/plan.json" --connect test:///default --force
vg 2 verify "$TMP/plan.json" --connect test:///default
vg 0 hostprep "$TMP/plan.json" --host "$TMP/host.json" -o "$TMP/prep"
vg 2 verify "$TMP/plan.json"

finish
