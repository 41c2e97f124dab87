# --connect URI end to end: libvirt's test driver as the host, existing domains, bad URIs.
. "$(dirname "$0")/lib.sh"

# test:///default: cells 0 (CPUs 0-7) and 1 (CPUs 8-15), one unpinned domain.
run suggest --connect test:///default --vm name=x,vcpus=2,memory=256M
expect_status 0 "suggest on test:///default"
expect_in out "2 packages, 2 NUMA nodes, 16 cores, 16 CPUs" "the test driver's host"
expect_in out "1 of 1 VM placed" "the VM placed"
expect_in out "vcpupin" "pins shown"

# A node file: one node of 4 CPUs; domain 'busy' holds CPUs 0-2 and 3 GiB of the 4.
test_node "$TMP/node.xml" 1 4194304 busy:3072:0-2:3:0
uri="test://$TMP/node.xml"
run suggest --connect "$uri" --reserve none --vm name=a,vcpus=1,memory=512M --show-xml
expect_status 0 "a VM beside an existing one"
expect_in out "<vcpupin vcpu=\"0\" cpuset=\"3\"/>" "the one CPU the domain leaves"
run suggest --connect "$uri" --reserve none --vm name=a,vcpus=2,memory=512M
expect_status 3 "pinned CPUs are not free"
expect_in out "the host has 1 free" "one CPU free"
run suggest --connect "$uri" --reserve none --vm name=a,vcpus=1,memory=2G
expect_status 3 "bound memory is not free"
expect_in out "1GiB free" "1 GiB of memory free"

# Unreachable URIs, offline and fast: status 1, the URI named, one line on stderr.
for bad in test:///nonexistent/file.xml bogus://x; do
	run suggest --connect "$bad" --vm name=x,vcpus=2,memory=256M
	expect_status 1 "bad URI $bad"
	expect_in err "cannot connect to libvirt at '$bad'" "the URI in the message"
	expect_true "only vmplan's message on stderr for $bad" [ "$(wc -l <"$TMP/err")" = 1 ]
done

# vmplan probe, where that command exists.
if "$VMPLAN" help probe >/dev/null 2>&1; then
	run probe --connect test:///default -o "$TMP/host.json"
	expect_status 0 "probe --connect"
	expect_true "host.json written" test -s "$TMP/host.json"
	expect_true "source libvirt" grep -q '"source": "libvirt"' "$TMP/host.json"
	expect_true "two nodes" grep -q '"cpus": "8-15"' "$TMP/host.json"
	run probe --connect "$uri" -o "$TMP/busy.json"
	expect_status 0 "probe --connect node file"
	expect_true "domain recorded" grep -q '"busy"' "$TMP/busy.json"
	expect_true "its CPUs used" grep -q '"used": "0-2"' "$TMP/busy.json"
	run probe --connect bogus://x -o "$TMP/bad.json"
	expect_status 1 "probe with a bad URI"
	expect_true "no partial host.json" test ! -e "$TMP/bad.json"
fi

finish
