# Host identity: another host's plan is refused by --define, merges from --connect and verify,
# naming what differs; a same-host plan applies; missing hugepages are named per node.
. "$(dirname "$0")/lib.sh"
BIG="pack:2 [numa(memory=64GB)] l3:4 core:8 pu:2"

# A plan for a 128-CPU synthetic host, applied to libvirt's test driver (16 CPUs).
run suggest --synthetic "$BIG" --reserve none --vm name=big,vcpus=4,memory=2G -o "$TMP/other.json"
expect_status 0 "plan for another host"
run export "$TMP/other.json" --define test:///default
expect_status 2 "--define refuses another host's plan"
expect_in err "the plan is for host 'synthetic', not 'vm' behind 'test:///default'" "both hosts named"
expect_in err "CPUs 0-127 planned, 0-15 here" "the CPUs that differ"
expect_in err "node 0 memory 59.6 GiB planned, 2.0 GiB here" "the memory that differs"
expect_in err "or define it with --force" "the override named"
run export "$TMP/other.json" --define test:///default --dry-run
expect_status 2 "--define --dry-run refuses it too"
run export "$TMP/other.json" --connect test:///default --domain test
expect_status 2 "a merge from --connect refuses it"
expect_in err "or merge it with --force" "merge wording"
run verify "$TMP/other.json" --connect test:///default
expect_status 2 "verify refuses it"
expect_in err "CPUs 0-127 planned, 0-15 here" "verify names the difference"
run export "$TMP/other.json" --define test:///default --dry-run --force
expect_status 0 "--force applies it"
expect_in err "warning: --force: the plan is for host 'synthetic'" "forced, and said so"
expect_in out "big: would be created" "the dry run goes on"
run export "$TMP/other.json" --force
expect_status 2 "--force alone"
expect_in err "--force goes with --define or --connect" "why"

# Forced or not, a pin to a CPU the host lacks is refused.
run suggest --synthetic "$BIG" --reserve none --vm name=a,vcpus=16,memory=1G \
	--vm name=b,vcpus=8,memory=1G -o "$TMP/wide.json"
run export "$TMP/wide.json" --define test:///default --dry-run --force
expect_status 2 "pins beyond the host's CPUs"
expect_in err "this host lacks CPUs it pins to" "why"
expect_in err "which this host does not have online: re-plan it on this host" "the fix"

# A plan made through the same connection applies without --force; hugepages the pools
# lack are named per node, in suggest's default output and at define time.
run suggest --connect test:///default --vm name=db,vcpus=2,memory=1G,hugepages=2M -o "$TMP/hp.json"
expect_status 0 "plan for the test driver's host"
expect_in out "before starting these domains:" "suggest names them"
expect_in out "512 pages of 2048 kB needed (vm 'db'), 0 free: reserve 512 more" "how many"
expect_in out "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages" "where"
run export "$TMP/hp.json" --define test:///default --dry-run
expect_status 0 "same host: no --force needed"
expect_in out "db: would be created" "dry run"
expect_in err "reserve 512 more: echo 512 > /sys/devices/system/node/node0/hugepages" \
	"the dry run names the pages"
run export "$TMP/hp.json" --define test:///default --out-dir "$TMP/bak"
expect_status 0 "define"
expect_in out "db: created" "defined"
expect_in err "its domains will not start as planned until then" "define names them too"

finish
