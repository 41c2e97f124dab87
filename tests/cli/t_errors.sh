# Bad input: each gives a clear message and exit status 2 (or 1 for runtime errors).
. "$(dirname "$0")/lib.sh"
S="node:2 core:2 pu:2"

run suggest --synthetic "$S" --vm name=a,vcpus=2,memory=12Q
expect_status 2 "memory=12Q"
expect_in err "cannot parse size '12Q'" "size message quotes the value"
expect_in err "unknown unit 'Q'" "size message names the unit"

run suggest --synthetic "$S" --vm name=a,vcpus=0,memory=1G
expect_status 2 "vcpus=0"
expect_in err "vcpus" "vcpus message names the key"
expect_in err "'0'" "vcpus message quotes the value"

run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G,colour=blue
expect_status 2 "unknown key"
expect_in err "unknown key 'colour'" "unknown key named"

run suggest --synthetic "$S" --vm name=a,memory=1G
expect_status 2 "missing vcpus"
expect_in err "vcpus" "missing key named"

run suggest --synthetic "$S" --vm 'name=../x,vcpus=1,memory=1G'
expect_status 2 "path characters in a name"
expect_in err "'../x'" "bad name quoted"

run suggest --topology "$TMP/does-not-exist.xml" --vm name=a,vcpus=1,memory=1G
expect_status 2 "missing topology file"
expect_in err "does-not-exist.xml" "missing file named"

echo "this is not xml" >"$TMP/garbage.xml"
run suggest --topology "$TMP/garbage.xml" --vm name=a,vcpus=1,memory=1G
expect_status 2 "garbage topology file"
expect_in err "garbage.xml" "bad file named"

run suggest --synthetic "pack:banana" --vm name=a,vcpus=1,memory=1G
expect_status 2 "bad synthetic description"
expect_in err "pack:banana" "bad description quoted"

run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G --vm name=a,vcpus=1,memory=1G
expect_status 2 "duplicate VM names"
expect_in err "'a'" "duplicate name quoted"

run suggest --synthetic "$S" --reserve 0-99 --vm name=a,vcpus=1,memory=1G
expect_status 2 "reserve beyond the host"
expect_in err "not online" "reserve message"

run suggest --synthetic "$S" --reserve 'x' --vm name=a,vcpus=1,memory=1G
expect_status 2 "garbage reserve"

run suggest --synthetic "$S"
expect_status 2 "no --vm"
expect_in err "--vm" "asks for a VM"

run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G --order sideways
expect_status 2 "bad --order"

run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G --frobnicate
expect_status 2 "unknown option"
expect_in err "--frobnicate" "unknown option named"

run suggest --synthetic "$S" --vm
expect_status 2 "option without value"

run frobnicate
expect_status 2 "unknown command"
expect_in err "no such command 'frobnicate'" "unknown command named"

run
expect_status 2 "no command"

run suggest --synthetic "$S" --reserve none --vm name=big,vcpus=64,memory=1G
expect_status 3 "VM too big"
expect_in out "needs 64 dedicated vCPUs" "reason says what was asked"
expect_in out "the host has 8 free in all (node 0: 4, node 1: 4)" "reason says what was free"
expect_in out "lower vcpus to 8" "reason says what would fit"

mkdir -p "$TMP/ro" && touch "$TMP/ro/blocker"
run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G --xml-dir "$TMP/ro/blocker"
expect_status 1 "xml-dir that is a file"
expect_in err "blocker" "xml-dir problem named"
# With -o too: plan.json is written last, so a failed --xml-dir leaves no plan naming it.
run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G -o "$TMP/ro/plan.json" \
	--xml-dir "$TMP/ro/blocker"
expect_status 1 "xml-dir that is a file, with -o"
expect_true "no plan.json beside a failed xml-dir" not test -e "$TMP/ro/plan.json"

# --validate benches here: a plan for another host is refused, without pointing at a --force
# that suggest does not have.
run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G --validate -o "$TMP/v.json"
expect_status 2 "--validate on another host"
expect_in err "bench it on that host" "says where"
expect_true "no --force offered" not grep -q -- "force" "$TMP/err"
expect_true "nothing written" not test -e "$TMP/v.json"

# Output that cannot be written is a runtime error, not a success with half a document.
if [ -w /dev/full ]; then
	run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G -o "$TMP/full.json"
	"$VMPLAN" export "$TMP/full.json" >/dev/full 2>"$TMP/err"
	status=$?
	expect_status 1 "export to a full disk"
	expect_in err "cannot write to standard output: No space left on device" "says why"
fi

echo '{"old": true}' >"$TMP/plan.json"
run suggest --synthetic "$S" --vm name=a,vcpus=1,memory=1G -o "$TMP/nodir/plan.json"
expect_status 1 "unwritable output"
expect_true "old plan untouched on error" grep -q old "$TMP/plan.json"

finish
