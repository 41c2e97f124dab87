# rebalance end to end: host.json hosts with running VMs, libvirt test-driver hosts.
. "$(dirname "$0")/lib.sh"

# A one-node host of 4 CPUs and 8 GB, with a running VM pinned to CPUs 0-1, 2 GiB on node 0
# (as a probe through libvirt writes it: the pins are used, the memory not free).
run probe --synthetic "pack:1 [numa(memory=8GB)] core:4 pu:1" -o "$TMP/empty.json"
expect_status 0 "probe"
for h in h0 h1; do
	running_host_json "$TMP/empty.json" "$TMP/$h.json" "vm-$h"
done
expect_true "the running VM in the host.json" grep -q '"name": "vm-h0"' "$TMP/h0.json"
# A test-driver host of 4 CPUs: web3 holds CPUs 2-3 and 1 GiB of node 0.
test_node "$TMP/node.xml" 1 8388608 web3:1024:2-3:2:0
cat >"$TMP/fleet.yaml" <<EOF
hosts:
  - host: h0.json
    name: h0
  - host: h1.json
    name: h1
  - uri: test://$TMP/node.xml
    name: t2
EOF

# Every host has 2 CPUs free: a 4-vCPU VM fits nowhere until web3 joins vm-h0 on h0.
run rebalance --fleet "$TMP/fleet.yaml" --make-room name=big,vcpus=4,memory=2G,numa=1 \
	--reserve none -o "$TMP/steps.json" --xml-dir "$TMP/xml"
expect_status 0 "room made"
expect_in out "fleet: 3 hosts, 3 up; 3 running VMs can move" "the fleet summary"
expect_in out "1. migrate web3 (1GiB) t2 -> h0, pins 2-3 on node 0" "the one step"
expect_true "one step only" not grep -q '^2\. ' "$TMP/out"
expect_in out "after 1 step (1GiB moved):" "the cost"
expect_in out "big fits on t2, pins 0-3 on node 0" "where the new VM fits"
expect_true "steps document written" grep -q '"kind": "rebalance"' "$TMP/steps.json"
expect_true "the step's action" grep -q '"action": "migrate"' "$TMP/steps.json"
expect_true "the source URI" grep -q "\"uri\": \"test://$TMP/node.xml\"" "$TMP/steps.json"
expect_true "the destination XML of the migration" test -s "$TMP/xml/1-web3.xml"
expect_true "the running domain's definition (its uuid kept)" grep -q '<uuid>' "$TMP/xml/1-web3.xml"
expect_true "with the destination's pins" grep -q 'vcpupin vcpu="1" cpuset="3"' \
	"$TMP/xml/1-web3.xml"
run rebalance --fleet "$TMP/fleet.yaml" --make-room name=big,vcpus=4,memory=2G,numa=1 \
	--reserve none --json
expect_status 0 "--json"
expect_in out '"done": true' "--json prints the document"
expect_in out '"memory_moved_bytes": 1073741824' "the memory moved"

# No move allowed: the planner's refusal status and what binds, host by host.
run rebalance --fleet "$TMP/fleet.yaml" --make-room name=big,vcpus=4,memory=2G,numa=1 \
	--reserve none --max-moves 0
expect_status 3 "no room within 0 moves"
expect_in err "no room within 0 moves: 'big' on host h0: needs 4 dedicated vCPUs" "what binds"
expect_in err "'big' on host t2: " "every host named"
run rebalance --fleet "$TMP/fleet.yaml" --make-room name=big,vcpus=4,memory=2G,numa=1 \
	--reserve none --max-moves 0 --json
expect_status 3 "no room, --json"
expect_in out '"done": false' "the document says so"
expect_in out '"reason": "needs 4 dedicated vCPUs' "with the refusal"
expect_in err "no room within 0 moves" "and stderr too"
# More memory than any host has: no number of moves helps.
run rebalance --fleet "$TMP/fleet.yaml" --make-room name=huge,vcpus=1,memory=64G --reserve none
expect_status 3 "no room for 64G"

# Without --make-room: free a whole host.
run rebalance --fleet "$TMP/fleet.yaml" --reserve none
expect_status 0 "free hosts"
expect_in out "free hosts: 0 -> 1" "one host freed"

# A two-node test-driver host: a live re-pin gathers a and b on one node.
test_node "$TMP/two.xml" 2 8388608 a:1024:0-1:2:0 b:1024:4-5:2:1
printf 'hosts:\n  - uri: test://%s/two.xml\n    name: two\n' "$TMP" >"$TMP/two.yaml"
run rebalance --fleet "$TMP/two.yaml" --make-room name=big,vcpus=4,memory=2G,numa=1 \
	--reserve none
expect_status 0 "room by a re-pin"
expect_in out "1. re-pin a (1GiB) on two from pins 0-1 to pins 6-7 on node 1" "the re-pin"
expect_in out "big fits on two, pins 0-3 on node 0" "the new VM on the node freed"

# Bad usage.
run rebalance --make-room name=x,vcpus=1,memory=1G
expect_status 2 "no --fleet"
expect_in err "rebalance needs --fleet FILE" "said so"
run rebalance --fleet "$TMP/fleet.yaml" --max-moves 9
expect_status 2 "--max-moves out of range"
expect_in err "bad --max-moves '9': use a number from 0 to 8" "said so"
run rebalance --fleet "$TMP/fleet.yaml" --make-room name=x,vcpus=zero
expect_status 2 "a bad SPEC"
run rebalance --fleet "$TMP/nonexistent.yaml"
expect_status 2 "a fleet file that is not there"
run rebalance --help
expect_status 0 "--help"
expect_in out "--make-room SPEC" "the help names the options"
run --help
expect_in out "rebalance" "the command list names it"


# Completion and the man page come from the help text.
complete_words() {
	bash -c '. "$1"; shift; bin=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_vmplan "$bin"; printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$VMPLAN_SOURCE_DIR/completions/vmplan.bash" "$VMPLAN" "$@" 2>&1
}
out=$(complete_words vmplan re)
expect_true "the command completes" grep -qx -- "rebalance" <<<"$out"
out=$(complete_words vmplan rebalance --ma)
expect_true "its options complete" [ "$(echo $out)" = "--make-room --max-moves" ]
out=$(complete_words vmplan rebalance --type "")
expect_true "--type offers kvm and qemu" [ "$(echo $out)" = "kvm qemu" ]

finish
