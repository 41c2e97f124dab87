# vmplan probe end to end: every file source, host.json in and out, resctrl, and bad input.
. "$(dirname "$0")/lib.sh"

SYN="pack:2 [numa(memory=8GB)] l3:2 core:4 pu:2"

run probe --synthetic "$SYN"
expect_status 0 "probe --synthetic"
expect_in out "(synthetic): 2 packages, 2 NUMA nodes, 16 cores, 32 CPUs" "summary line"
expect_in out "node 1   cpus 16-31" "node 1 and its CPUs"
expect_in out "cores: 16, up to 2 threads per core" "SMT shown"
expect_in out "resctrl: not available" "no resctrl"

# -o writes host.json; --host reads it back, and the JSON it prints is the same.
run probe --synthetic "$SYN" -o "$TMP/h.json"
expect_status 0 "probe -o"
expect_true "host.json written" test -s "$TMP/h.json"
expect_true "schema 1" grep -q '"schema": 1' "$TMP/h.json"
expect_true "source recorded" grep -q '"source": "synthetic"' "$TMP/h.json"
run probe --host "$TMP/h.json" --json
expect_status 0 "probe --host --json"
{ cat "$TMP/h.json"; echo; } >"$TMP/expect.json"
expect_true "round trip through --host is lossless" cmp -s "$TMP/expect.json" "$TMP/out"
run suggest --host "$TMP/h.json" --vm name=a,vcpus=4,memory=2G
expect_status 0 "suggest --host host.json"
expect_in out "1 of 1 VM placed" "planned on the saved host"

# A sysfs snapshot of our own, with resctrl in it, read through --fsroot.
root="$TMP/root"
mk() { mkdir -p "$(dirname "$root/$1")" && printf "$2" >"$root/$1"; }
if [ -d "${VMPLAN_FIXTURES:-/nonexistent}/hwloc-linux" ]; then
	tar xjf "$VMPLAN_FIXTURES/hwloc-linux/64amd64-4s2n4ca2co.tar.bz2" -C "$TMP"
	mv "$TMP/64amd64-4s2n4ca2co" "$root"
	R=sys/fs/resctrl
	mk $R/info/L3/cbm_mask 'ffff\n'
	mk $R/info/L3/min_cbm_bits '1\n'
	mk $R/info/L3/num_closids '16\n'
	mk $R/info/L3/shareable_bits '0\n'
	mk $R/info/MB/min_bandwidth '0\n'
	mk $R/info/MB/bandwidth_gran '1\n'
	mk $R/info/MB/delay_linear '0\n'
	mk $R/info/MB/num_closids '8\n'
	mk $R/schemata 'L3:0=ffff;1=ffff\nMB:0=2048;1=2048\n'
	mk $R/vm1/schemata 'L3:0=000f;1=ffff\nMB:0=1024;1=2048\n'
	mk sys/devices/system/cpu/isolated '4-7\n'
	run probe --fsroot "$root" -o "$TMP/fs.json"
	expect_status 0 "probe --fsroot"
	expect_in out "(fsroot): 4 packages, 8 NUMA nodes, 64 cores, 64 CPUs" "fsroot summary"
	expect_in out "free 15.3G" "free memory from node0/meminfo"
	expect_in out "hugepages 2MiB: 0/0 free" "per-node hugepage pools"
	expect_in out "isolated: 4-7" "isolated CPUs"
	# MB has fewer CLOSIDs than L3, and the planner counts against the fewest.
	expect_in out "resctrl: 2 groups in use of 8 CLOSIDs" "resctrl groups"
	expect_in out "domain 0: used f (4 ways), free 12 ways" "ways the other group holds"
	expect_in out "MB: unit 1/8 GB/s (AMD)" "AMD bandwidth unit"
	expect_true "resctrl in host.json" grep -q '"used_mask": "f"' "$TMP/fs.json"
	run suggest --host "$TMP/fs.json" --vm name=a,vcpus=4,memory=2G
	expect_status 0 "suggest on the fsroot's host.json"

	# mba_MBps: groups not yet given a bandwidth show U32_MAX, no limit.
	cp "$root/proc/mounts" "$TMP/mounts"
	echo 'resctrl /sys/fs/resctrl resctrl rw,relatime,mba_MBps 0 0' >>"$root/proc/mounts"
	mk $R/schemata 'L3:0=ffff;1=ffff\nMB:0=4294967295;1=4294967295\n'
	mk $R/vm1/schemata 'L3:0=000f;1=ffff\nMB:0=4294967295;1=5000\n'
	run probe --fsroot "$root"
	expect_status 0 "probe --fsroot with mba_MBps"
	expect_in out "MB: unit MB/s (mba_MBps)" "MB/s unit"
	cp "$TMP/mounts" "$root/proc/mounts"
	mk $R/schemata 'L3:0=ffff;1=ffff\nMB:0=2048;1=2048\n'
	mk $R/vm1/schemata 'L3:0=000f;1=ffff\nMB:0=1024;1=2048\n'

	# Bad input inside the snapshot: exit 2, the file named, host.json untouched.
	echo OLD >"$TMP/keep.json"
	mk $R/info/L3/cbm_mask 'xyz\n'
	run probe --fsroot "$root" -o "$TMP/keep.json"
	expect_status 2 "resctrl mask not hex"
	expect_in err "cannot read resctrl '$root/$R/info/L3/cbm_mask': 'xyz' is not a hex mask" \
		"resctrl message"
	expect_true "old host.json kept" [ "$(cat "$TMP/keep.json")" = OLD ]
	mk $R/info/L3/cbm_mask 'ffff\n'
	mk sys/devices/system/node/node3/meminfo 'garbage\n'
	run probe --fsroot "$root" -o "$TMP/keep.json"
	expect_status 2 "garbage in meminfo"
	expect_in err "cannot read sysfs '$root/sys/devices/system/node/node3/meminfo'" \
		"sysfs file named"
	expect_true "old host.json kept" [ "$(cat "$TMP/keep.json")" = OLD ]
else
	echo "note: $VMPLAN_FIXTURES missing; fsroot snapshot checks skipped"
	echo OLD >"$TMP/keep.json"
fi

run probe --fsroot "$TMP/nowhere" -o "$TMP/keep.json"
expect_status 2 "missing fsroot"
expect_in err "cannot read fsroot '$TMP/nowhere'" "fsroot named"

run probe --host "$TMP/missing.json" -o "$TMP/keep.json"
expect_status 2 "missing host.json"
expect_in err "cannot read host '$TMP/missing.json': No such file or directory" "file named"

head -c 200 "$TMP/h.json" >"$TMP/cut.json"
run probe --host "$TMP/cut.json" -o "$TMP/keep.json"
expect_status 2 "truncated host.json"
expect_in err "cannot load host '$TMP/cut.json': not valid JSON at line" "line given"

sed 's/"memory_bytes": [0-9]*/"memory_bytes": "8G"/' "$TMP/h.json" >"$TMP/typo.json"
run probe --host "$TMP/typo.json" -o "$TMP/keep.json"
expect_status 2 "wrong type in host.json"
expect_in err "numa_nodes[0].memory_bytes must be a non-negative integer" "field path given"
sed 's/"schema": 1/"schema": 99/' "$TMP/h.json" >"$TMP/new.json"
run suggest --host "$TMP/new.json" --vm name=a,vcpus=1,memory=1G
expect_status 2 "newer schema refused"
expect_in err "schema 99 is newer than this vmplan understands" "schema message"

printf '<?xml version="1.0"?>\n<topology version="2.0">\n<object type="Machine"' >"$TMP/cut.xml"
run probe --topology "$TMP/cut.xml" -o "$TMP/keep.json"
expect_status 2 "truncated XML"
expect_in err "cannot load topology '$TMP/cut.xml'" "XML named"
expect_true "old host.json kept after every failure" [ "$(cat "$TMP/keep.json")" = OLD ]

chmod 000 "$TMP/keep.json"
if ! cat "$TMP/keep.json" >/dev/null 2>&1; then
	run probe --host "$TMP/keep.json"
	expect_status 2 "unreadable host.json"
	expect_in err "cannot read host '$TMP/keep.json': Permission denied" "unreadable named"
fi
chmod 644 "$TMP/keep.json"

run probe --synthetic "$SYN" -o "$TMP/no/such/dir/h.json"
expect_status 1 "unwritable output"
expect_in err "cannot write '$TMP/no/such/dir/h.json'" "output named"

run probe --synthetic "$SYN" --measure quick
expect_status 2 "--measure with a file source"
expect_in err "--measure measures the running host" "why"
run probe --measure sometimes
expect_status 2 "bad --measure"
run probe --synthetic "$SYN" --host "$TMP/h.json"
expect_status 2 "two sources"
run probe --bogus
expect_status 2 "unknown option"
run probe --help
expect_status 0 "probe --help"
expect_in out "--fsroot DIR" "options listed"
run --help
expect_in out "probe" "probe in the command list"

finish
