# vmplan hostprep: the files a plan's host needs, and the runtime part applied to a fake tree
# with a dry run first and an undo.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "skip: python3 is missing"; exit 77; }

# A host with an L3 to allocate from and a NIC, saved as host.json.
run probe --synthetic "pack:1 [numa(memory=8GB)] l3(size=16MB):1 core:4 pu:2" -o "$TMP/host.json"
expect_status 0 "probe"
python3 - "$TMP/host.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
h["resctrl"] = {"groups_used": 1, "l3": {"cbm_mask": "ff", "num_closids": 4, "min_cbm_bits": 1,
                                         "domains": [{"id": 0, "used_mask": "0"}]}}
h["devices"] = [{"name": "eth0", "pci": "0000:00:03.0", "kind": "net", "node": 0}]
json.dump(h, open(sys.argv[1], "w"))
PY
H=(--host "$TMP/host.json")
run suggest "${H[@]}" --reserve auto --vm name=db,vcpus=2,memory=1G,hugepages=2M,cache=4M \
	-o "$TMP/plan.json"
expect_status 0 "plan"
expect_in out "vcpupin   0:2 1:3" "the dedicated CPUs this test expects"
# host.json has no default_mask: the default group holds every way, as on a fresh mount.
expect_in out "cache 0: needs \`vmplan hostprep --apply\` to release ways 0xc0 from the default group" \
	"the ways hostprep must release"

# The files to review.
run hostprep "$TMP/plan.json" "${H[@]}" -o "$TMP/files"
expect_status 0 "hostprep -o"
expect_in out "wrote $TMP/files/kernel-cmdline.txt" "files named"
expect_true "kernel command line" grep -qx "isolcpus=managed_irq,domain,2-3 nohz_full=2-3 rcu_nocbs=2-3 irqaffinity=0-1,4-7 hugepagesz=2M hugepages=0:512" "$TMP/files/kernel-cmdline.txt"
expect_true "tuned variables" grep -qx "isolated_cores=2-3" "$TMP/files/cpu-partitioning-variables.conf"
expect_true "irqbalance" grep -qx "IRQBALANCE_BANNED_CPULIST=2-3" "$TMP/files/irqbalance"
expect_true "systemd slice" grep -qx "AllowedCPUs=0-1,4-7" "$TMP/files/system.slice-allowedcpus.conf"
expect_true "Salt installs it" grep -q "name: '/etc/systemd/system/system.slice.d/50-vmplan-allowedcpus.conf'" "$TMP/files/hostprep.sls"
run hostprep "$TMP/plan.json" "${H[@]}"
expect_status 0 "printed"
expect_in out "==> irqbalance -> /etc/sysconfig/irqbalance <==" "each file with its place"

# A fake /sys and /proc.
R="$TMP/root"
mk() { mkdir -p "$(dirname "$R/$1")" && printf "$2" >"$R/$1"; }
HP=sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
mk $HP '0\n'
mk sys/fs/cgroup/system.slice/cpuset.cpus '\n'
mk sys/bus/pci/devices/0000:00:03.0/msi_irqs/24 ''
mk proc/irq/24/smp_affinity_list '0-7\n'
# An IRQ whose affinity the kernel refuses to move (a managed one): a directory here.
mk sys/bus/pci/devices/0000:00:03.0/msi_irqs/25 ''
mkdir -p "$R/proc/irq/25/smp_affinity_list"
mk sys/fs/resctrl/schemata 'L3:0=ff\nMB:0=100\n'
snapshot() { (cd "$R" && find . -type f | sort | xargs head -n1); }
before=$(snapshot)

run hostprep "$TMP/plan.json" "${H[@]}" --root "$R" --apply --dry-run
expect_status 0 "--apply --dry-run"
expect_in out "would set $R/$HP: 0 -> 512" "hugepages"
expect_in out "would set $R/sys/fs/cgroup/system.slice/cpuset.cpus:  -> 0-1,4-7" "slice"
expect_in out "would set $R/proc/irq/24/smp_affinity_list: 0-7 -> 0-1,4-7 (irq 24 (net 0000:00:03.0))" "IRQ to housekeeping"
expect_in out "would set $R/sys/fs/resctrl/schemata: L3:0=ff -> L3:0=3f" "default group shrunk to the ways no VM has"
expect_in out "needs a reboot: the kernel command line" "the reboot said"
expect_in out "left out: 3 changes whose file this host does not have" "what has no file is said"
expect_true "the dry run changes nothing" [ "$before" = "$(snapshot)" ]
expect_true "and saves no undo" test ! -e "$TMP/hostprep-undo.json"

run hostprep "$TMP/plan.json" "${H[@]}" --root "$R" --apply
expect_status 0 "--apply"
expect_in out "set $R/$HP: 0 -> 512" "listed"
expect_in out "old values saved in $TMP/hostprep-undo.json" "undo saved"
expect_in err "warning: cannot write '$R/proc/irq/25/smp_affinity_list'" "a refused IRQ is named"
expect_in err "left as it is" "and left, the rest applied"
expect_true "pool written" grep -qx 512 "$R/$HP"
expect_true "IRQ written" grep -qx 0-1,4-7 "$R/proc/irq/24/smp_affinity_list"
expect_true "schemata written" grep -qx "L3:0=3f" "$R/sys/fs/resctrl/schemata"
run hostprep "$TMP/plan.json" "${H[@]}" --root "$R" --apply --dry-run
expect_status 0 "again"
expect_in out "unchanged $R/$HP: 512 -> 512" "what was set is unchanged"

run hostprep --undo "$TMP/hostprep-undo.json"
expect_status 0 "--undo"
expect_in out "unchanged $R/proc/irq/25/smp_affinity_list" "what never changed is not written back"
expect_true "pool restored" grep -qx 0 "$R/$HP"
expect_true "IRQ restored" grep -qx 0-7 "$R/proc/irq/24/smp_affinity_list"
expect_true "schemata's L3 restored" grep -qx "L3:0=ff" "$R/sys/fs/resctrl/schemata"
# An apply after a change keeps the first undo file rather than overwrite the old values.
mk $HP '3\n'
run hostprep "$TMP/plan.json" "${H[@]}" --root "$R" --apply
expect_status 2 "an undo file is never overwritten"
expect_in err "holds the old values of an earlier --apply" "why"

# A default group already shrunk to ways 0-1: the plan takes two of ways 2-7, which no group
# holds; nothing to release, and hostprep leaves the default group its ways (not the longest
# run of the rest, 4-7, which would take ways 4-7 from under libvirt's pick).
python3 - "$TMP/host.json" "$TMP/host2.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
h["resctrl"]["l3"]["domains"][0]["default_mask"] = "03"
json.dump(h, open(sys.argv[2], "w"))
PY
run suggest --host "$TMP/host2.json" --reserve auto --vm name=db,vcpus=2,memory=1G,hugepages=2M,cache=4M \
	-o "$TMP/plan2.json"
expect_status 0 "plan with the default group shrunk"
expect_in out "ways 0xc (4MiB)" "ways no group holds (libvirt's pick: the lowest of the run)"
expect_true "nothing to release" sh -c "! grep -q 'release ways' '$TMP/out'"
mk sys/fs/resctrl/schemata 'L3:0=03\nMB:0=100\n'
run hostprep "$TMP/plan2.json" --host "$TMP/host2.json" --root "$R" --apply --dry-run -o "$TMP/prep2"
expect_status 0 "--apply --dry-run, default group shrunk"
expect_in out "would set $R/sys/fs/resctrl/schemata: L3:0=03 -> L3:0=3 " "the default group keeps its ways"

# Refusals.
run hostprep "$TMP/plan.json" --synthetic "pack:2 [numa(memory=8GB)] core:4 pu:2"
expect_status 2 "another host's plan"
expect_in err "re-plan on this host, or prepare it with --force" "why"
run hostprep "$TMP/plan.json" --dry-run
expect_status 2 "--dry-run without --apply"
run hostprep
expect_status 2 "no plan"

finish
