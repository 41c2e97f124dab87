# The command line guides: exit statuses and messages that say what to do.
. "$(dirname "$0")/lib.sh"

# bench_plan with a fixture it cannot read says so and fails, instead of printing figures.
BENCH_PLAN="$(dirname "$VMPLAN")/bench_plan"
if [ -x "$BENCH_PLAN" ]; then
	"$BENCH_PLAN" /nonexistent.xml >"$TMP/out" 2>"$TMP/err"
	status=$?
	expect_status 2 "bench_plan of a missing fixture"
	expect_in err "cannot read hwloc XML '/nonexistent.xml': No such file" "bench_plan says why"
fi
# An unknown key or profile: the nearest name, not every key there is.
run suggest --synthetic "node:1 core:2 pu:1" --vm name=a,vcpus=2,memory=1G,profile=databse
expect_status 2 "a misspelt profile"
expect_in err "unknown profile 'databse'; did you mean 'database'?" "the nearest profile"
run suggest --synthetic "node:1 core:2 pu:1" --vm name=a,vcpu=2,memory=1G
expect_status 2 "a misspelt key"
expect_in err "unknown key 'vcpu'; did you mean 'vcpus'?" "the nearest key"
expect_true "no list of every key" not grep -q "bench_workloads" "$TMP/err"

# memory=4 is 4 MiB: planned as asked, with a warning that says what was probably meant.
run suggest --synthetic "node:1 core:2 pu:1" --vm name=a,vcpus=1,memory=4
expect_status 0 "memory=4 is still planned"
expect_in err "warning: VM 'a' gets 4 MiB of memory" "an implausible memory is named"
expect_in err "did you mean memory=4G?" "and what was meant"
run suggest --synthetic "node:1 core:2 pu:1" --vm name=a,vcpus=1,memory=512M
expect_true "no warning for 512M" not grep -q "warning" "$TMP/err"

# A unit that is no unit lists those there are.
run suggest --synthetic "node:1 core:2 pu:1" --vm name=a,vcpus=1,memory=4Gi
expect_status 2 "memory=4Gi"
expect_in err "unknown unit 'Gi' (units: K, M, G, T or KiB, MiB, GiB, TiB" "the valid units"

# hwloc refusing a size without B says what hwloc wants.
run probe --synthetic "pack:1 [numa(memory=64G)] core:2 pu:1"
expect_status 2 "numa(memory=64G)"
expect_in err "hwloc wants sizes with a B, such as 64GB or 64GiB" "the size hwloc reads"
# A sysfs snapshot as an archive given to --topology points at --fsroot.
mkdir -p "$TMP/snap/sys" && echo 0 >"$TMP/snap/sys/x"
tar czf "$TMP/snap.tar.gz" -C "$TMP/snap" sys
run probe --topology "$TMP/snap.tar.gz"
expect_status 2 "an archive to --topology"
expect_in err "it is an archive: for a sysfs snapshot, unpack it and give the folder to --fsroot" \
	"--fsroot named"
# A host.json given to export says what it is.
run probe --synthetic "node:1 core:2 pu:1" -o "$TMP/host.json"
run export "$TMP/host.json"
expect_status 2 "export of a host.json"
expect_in err "this is a host.json, as 'vmplan probe -o' writes it" "export names a host.json"

# vmplan profiles lists the profiles with their own description, and shows one whole.
run profiles
expect_status 0 "vmplan profiles"
expect_true "database listed with its description" \
	grep -qE '^  database +OLTP and analytics databases' "$TMP/out"
run profiles database
expect_status 0 "vmplan profiles database"
expect_in out "# database: OLTP and analytics databases" "the file's own comments"
expect_in out "hugepages:" "the keys it sets"
run profiles databse
expect_status 2 "an unknown profile"
expect_in err "did you mean 'database'?" "the nearest profile"
run profiles a b
expect_status 2 "two names"
# A refusal says sizes in units a person reads, and a suggestion a person can type.
run suggest --synthetic "pack:1 [numa(memory=8GB)] core:2 pu:1" --vm name=a,vcpus=1,memory=20G
expect_in out "the host has 7.4GiB free in all (node 0: 7.4GiB)" "free memory in human units"
expect_in out "lower memory to 7629MiB" "a size to type, never more than is free"
expect_true "no KiB counts" not grep -q "[0-9]KiB" "$TMP/out"

finish
