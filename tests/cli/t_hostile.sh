# Hostile input: truncated and wrongly-typed files, absurd numbers, odd names, huge mixes.
# Each gives a clear message and the documented exit status (2 for bad input, 1 for a
# write that fails, 3 for a plan that leaves VMs out); nothing crashes or hangs.
. "$(dirname "$0")/lib.sh"
DATA=$VMPLAN_SOURCE_DIR/tests/data/hostile
S="pack:2 [numa(memory=8GB)] core:2 pu:2"
ONE=name=a,vcpus=1,memory=1G

# hrun ARGS...: run under a time limit; a signal or a hang is a failure of its own.
hrun() {
	timeout 60 "$VMPLAN" "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
	checks=$((checks + 1))
	if [ "$status" -eq 124 ]; then
		fail "hung: vmplan $*"
	elif [ "$status" -gt 128 ]; then
		fail "killed by signal $((status - 128)): vmplan $*"
	fi
}

# bad STATUS MESSAGE ARGS...: the run ends with STATUS and MESSAGE on stderr, nothing more.
bad() {
	local want=$1 msg=$2
	shift 2
	hrun "$@"
	expect_status "$want" "vmplan $*"
	expect_in err "$msg" "message of vmplan $*"
	checks=$((checks + 1))
	[ "$(wc -l <"$TMP/err")" -le 3 ] || fail "vmplan $*: more than a short message on stderr"
}

# --- host.json: truncated, wrongly typed, absurd numbers, a node that does not exist
bad 2 "cannot load host '$DATA/host-truncated.json': not valid JSON at line 3" \
	suggest --host "$DATA/host-truncated.json" --vm $ONE
bad 2 "numa_nodes must be an array" suggest --host "$DATA/host-wrong-type.json" --vm $ONE
bad 2 "pus[3].node 7 names no entry of numa_nodes" \
	suggest --host "$DATA/host-missing-node.json" --vm $ONE
bad 2 "too big integer" suggest --host "$DATA/host-huge-number.json" --vm $ONE
bad 2 "numa_nodes[0].memory_bytes must be a non-negative integer" \
	suggest --host "$DATA/host-negative.json" --vm $ONE
bad 2 "numa_nodes must be an array" probe --host "$DATA/host-wrong-type.json"
hrun suggest --host "$DATA/host-good.json" --vm $ONE
expect_status 0 "the good host.json the bad ones are made from"

# --- plan.json
bad 2 "cannot load plan '$DATA/plan-truncated.json': line 19" export "$DATA/plan-truncated.json"
bad 2 "vms[0].placed: expected true or false" export "$DATA/plan-wrong-type.json"
bad 2 "vms: expected an array" export "$DATA/plan-vms-object.json"
bad 2 "vms[0].request.vcpus: 100000 is out of range [1, 1024]" export "$DATA/plan-vcpus-huge.json"
bad 2 "vms[0].request.vcpus: 0 is out of range" export "$DATA/plan-vcpus-zero.json"
bad 2 "too big integer" export "$DATA/plan-memory-overflow.json"
bad 2 "vms[0].vcpupin[0]: expected a host CPU number" export "$DATA/plan-pin-out-of-range.json"
bad 2 "vms[0].request.vcpus" verify "$DATA/plan-vcpus-zero.json" --connect test:///default
# Names that would be paths or markup: refused before anything is written.
mkdir "$TMP/out-dir"
bad 2 "invalid VM name '../db'" export "$DATA/plan-path-name.json" --out-dir "$TMP/out-dir/sub"
bad 2 "invalid VM name '<web>'" export "$DATA/plan-xml-name.json" --out-dir "$TMP/out-dir/sub"
bad 2 "invalid VM name '../db'" export "$DATA/plan-path-name.json" --format salt
expect_true "nothing written for a refused plan" test ! -e "$TMP/db.xml" -a ! -e "$TMP/out-dir/sub"

# --- mix YAML
bad 2 "cannot load mix '$DATA/mix-truncated.yaml': did not find expected node content at line 4" \
	suggest --synthetic "$S" --vms "$DATA/mix-truncated.yaml"
bad 2 "expected a 'vms:' list at the top" suggest --synthetic "$S" --vms "$DATA/mix-vms-scalar.yaml"
bad 2 "expected a 'vms:' list at the top" suggest --synthetic "$S" --vms "$DATA/mix-list.yaml"
bad 2 "'vcpus' must have a single value" suggest --synthetic "$S" --vms "$DATA/mix-vcpus-list.yaml"
bad 2 "vms[0] (line 2): vcpus must be between 1 and 1024, not '0'" \
	suggest --synthetic "$S" --vms "$DATA/mix-vcpus-zero.yaml"
bad 2 "vcpus must be between 1 and 1024, not '100000'" \
	suggest --synthetic "$S" --vms "$DATA/mix-vcpus-huge.yaml"
bad 2 "cannot parse size '99999999999999999999T' for memory: too large" \
	suggest --synthetic "$S" --vms "$DATA/mix-memory-overflow.yaml"
bad 2 "invalid VM name '../x'" suggest --synthetic "$S" --vms "$DATA/mix-path-name.yaml"
bad 2 "invalid VM name 'a
b'" suggest --synthetic "$S" --vms "$DATA/mix-newline-name.yaml"
bad 2 "profile must be a profile name, not '../../etc/passwd'" \
	suggest --synthetic "$S" --vms "$DATA/mix-path-profile.yaml"
bad 2 "VM name 'a' is used twice" suggest --synthetic "$S" --vms "$DATA/mix-alias.yaml"

# --- profile YAML (VMPLAN_PROFILE_DIR points at the bad ones)
export VMPLAN_PROFILE_DIR=$DATA/profiles
bad 2 "cannot load profile '$DATA/profiles/broken.yaml': did not find expected ',' or ']'" \
	suggest --synthetic "$S" --vm $ONE,profile=broken
bad 2 "list.yaml): line 1: expected a mapping of keys to values" \
	suggest --synthetic "$S" --vm $ONE,profile=list
bad 2 "a profile may not set 'name'" suggest --synthetic "$S" --vm $ONE,profile=sets-name
bad 2 "vcpus must be between 1 and 1024, not 'lots'" \
	suggest --synthetic "$S" --vm $ONE,profile=wrong-type
bad 2 "'threads' must have a single value" suggest --synthetic "$S" --vm $ONE,profile=nested
bad 2 "unknown profile 'missing' (searched $DATA/profiles" \
	suggest --synthetic "$S" --vm $ONE,profile=missing
unset VMPLAN_PROFILE_DIR

# --- absurd numbers on the command line
bad 2 "vcpus must be between 1 and 1024, not '0'" \
	suggest --synthetic "$S" --vm name=a,vcpus=0,memory=1G
bad 2 "vcpus must be between 1 and 1024, not '100000'" \
	suggest --synthetic "$S" --vm name=a,vcpus=100000,memory=1G
bad 2 "vcpus must be between 1 and 1024, not '99999999999999999999999'" \
	suggest --synthetic "$S" --vm name=a,vcpus=99999999999999999999999,memory=1G
bad 2 "cannot parse size '17179869184T' for memory: too large" \
	suggest --synthetic "$S" --vm name=a,vcpus=1,memory=17179869184T
bad 2 "cannot parse size '18446744073709551616b' for memory: too large" \
	suggest --synthetic "$S" --vm name=a,vcpus=1,memory=18446744073709551616b
bad 2 "cannot parse size '99999999T' for cache: too large" \
	suggest --synthetic "$S" --vm $ONE,cache=99999999T
bad 2 "numa must be auto or between 1 and 64, not '99'" suggest --synthetic "$S" --vm $ONE,numa=99
bad 2 "bad --reserve" suggest --synthetic "$S" --vm $ONE --reserve 0-99999
bad 2 "CPUs 99 are not online" suggest --synthetic "$S" --vm $ONE --reserve 99
# More guest cells than the host has nodes (2): a plan, with the VM left out and why.
hrun suggest --synthetic "$S" --vm name=a,vcpus=6,memory=1G,numa=3
expect_status 3 "numa=3 on a 2-node host"
expect_in out "not placed: asks for 3 guest NUMA cells but the host has 2 NUMA nodes" \
	"numa=3 on a 2-node host is not placed, and why"
expect_in out "0 of 1 VM placed" "numa=3 summary"

# --- names with XML, shell and path characters on the command line
for name in '../x' 'a/b' '<x>' '$(id)' "a'b" 'a"b' 'a
b' '-rf' '.hidden'; do
	bad 2 "invalid VM name '$name'" suggest --synthetic "$S" --vm "name=$name,vcpus=1,memory=1G" \
		--xml-dir "$TMP/names"
done
expect_true "no file written for a bad name" test ! -e "$TMP/names" -a ! -e "$TMP/x.xml"

# --- empty, missing and unreadable files
: >"$TMP/empty"
bad 2 "cannot load mix '$TMP/empty': the file is empty" suggest --synthetic "$S" --vms "$TMP/empty"
bad 2 "cannot load host '$TMP/empty': not valid JSON at line 1" \
	suggest --host "$TMP/empty" --vm $ONE
bad 2 "cannot load plan '$TMP/empty'" export "$TMP/empty"
bad 2 "cannot merge into $TMP/empty: not well-formed" \
	export "$VMPLAN_SOURCE_DIR/tests/golden/two-node/plan.json" --vm db --domain-xml "$TMP/empty"
bad 2 "cannot read mix '$TMP/nope.yaml': No such file or directory" \
	suggest --synthetic "$S" --vms "$TMP/nope.yaml"
# A directory where a file belongs: it opens but cannot be read (root reads everything else).
mkdir "$TMP/adir"
bad 2 "cannot read host '$TMP/adir': Is a directory" suggest --host "$TMP/adir" --vm $ONE
bad 2 "cannot read mix '$TMP/adir': Is a directory" suggest --synthetic "$S" --vms "$TMP/adir"
bad 2 "cannot read plan '$TMP/adir': Is a directory" export "$TMP/adir"
bad 2 "'$TMP/adir'" suggest --topology "$TMP/adir" --vm $ONE
cp "$DATA/host-good.json" "$TMP/locked.json"
chmod 000 "$TMP/locked.json"
if [ -r "$TMP/locked.json" ]; then
	echo "skip: unreadable file (running as root, who reads it anyway)" >&2
else
	bad 2 "cannot read host '$TMP/locked.json': Permission denied" \
		suggest --host "$TMP/locked.json" --vm $ONE
fi

# --- terminal escapes typed in --vm are shown as \xNN, never written raw to the terminal
ESC=$(printf '\033')
bad 2 'invalid VM name '"'"'a\x1b[31mX'"'" suggest --synthetic "$S" --vm "name=a${ESC}[31mX,vcpus=1,memory=1G"
expect_true "no raw ESC in the name message" not grep -q "$ESC" "$TMP/err"
bad 2 'not '"'"'1\x1b]0;owned\x07'"'" suggest --synthetic "$S" --vm "name=a,vcpus=1${ESC}]0;owned$(printf '\a'),memory=1G"
expect_true "no raw ESC or BEL in the vcpus message" not grep -q "[$ESC$(printf '\a')]" "$TMP/err"

# --- 10,000 VMs: a plan (most left out) or a clear message, in well under the time limit
{
	echo "vms:"
	for i in $(seq 1 10000); do echo "  - {name: vm$i, vcpus: 1, memory: 64M}"; done
} >"$TMP/10k.yaml"
hrun suggest --synthetic "$S" --vms "$TMP/10k.yaml" -o "$TMP/10k.json"
expect_status 3 "10,000 VMs on a small host"
expect_in out "of 10000 VMs placed" "10,000 VMs summary"
expect_true "10,000-VM plan written" test -s "$TMP/10k.json"
hrun export "$TMP/10k.json" --format salt
expect_status 0 "10,000-VM plan exports"

finish
