# vmplan nightly end to end against a real libvirtd: a plan defined with export --define
# (and so kept), its domain started, a clean night; then the vCPU re-pinned with virsh
# vcpupin: drift, exit 4. Checks the statuses, the history rows and the reports written.
# Skips (77) where libvirtd cannot run; tests/libvirt/start-daemons.sh starts it.
set -u
: "${VMPLAN:?VMPLAN must name the vmplan binary}"
. "$(dirname "$0")/lib.sh"
NAME=vmplan-t-nightly-$$
DOMAINS="$NAME"

need_libvirtd
[ "$(nproc)" -gt 1 ] || skip "one CPU: no other CPU to re-pin the vCPU to"

export VMPLAN_STATE_DIR=$TMP/state VMPLAN_SYSTEMD_DIR=$TMP/units
mkdir -p "$TMP/units"
STATE=$VMPLAN_STATE_DIR
BENCH=(--workload compute --reps 4 --seconds 0.05)
rows() { sqlite3 "$STATE/history.db" "$1"; }

# Planned for this host, defined (which keeps it as the accepted plan) and started.
"$VMPLAN" suggest --vm "name=$NAME,vcpus=1,memory=128M" -o "$TMP/plan.json" \
	>"$TMP/suggest.log" 2>&1 || fail "suggest"
"$VMPLAN" export "$TMP/plan.json" --define "$URI" --type qemu --out-dir "$TMP" \
	>"$TMP/define.log" 2>&1 || fail "define"
grep -q "kept as the accepted plan of host" "$TMP/define.log" || fail "define did not keep the plan"
cmp -s "$TMP/plan.json" "$STATE/plan.json" || fail "the kept plan is not the defined one"
[ -s "$STATE/host.json" ] || fail "no host model kept"
virsh -c "$URI" start "$NAME" >"$TMP/start.log" 2>&1 || fail "start"

# A clean night: no drift; the gate may pass (0) or be inconclusive here (5).
"$VMPLAN" nightly "${BENCH[@]}" --prom "$TMP/n.prom" >"$TMP/night1.log" 2>&1
status=$?
cat "$TMP/night1.log"
[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "clean night: exit status $status, expected 0 or 5"
grep -q "verify: [0-9]* checks (1 VMs also read from /proc), 0 drift" "$TMP/night1.log" ||
	fail "clean night: the running domain was not verified, or drifted"
grep -q "history: run 1 stored" "$TMP/night1.log" || fail "clean night: not stored"
grep -q "^vmplan nightly: .*; exit $status\$" "$TMP/night1.log" || fail "clean night: no summary line"
grep -q "^vmplan_nightly_drift{.*} 0$" "$TMP/n.prom" || fail "clean night: prom drift not 0"
if command -v gnuplot >/dev/null; then
	[ -s "$STATE/reports/bench/index.html" ] || fail "report bench not written"
	[ -s "$STATE/reports/host/index.html" ] || fail "report host not written"
fi

# Drift: the vCPU re-pinned by hand, away from the plan.
pinned=$(virsh -c "$URI" vcpupin "$NAME" 0 | awk '$1 == "0" {print $2}')
other=$(( (pinned + 1) % $(nproc) ))
virsh -c "$URI" vcpupin "$NAME" 0 "$other" --live >/dev/null 2>&1 || fail "vcpupin"
"$VMPLAN" nightly "${BENCH[@]}" --json --prom "$TMP/n.prom" >"$TMP/night2.log" 2>&1
status=$?
cat "$TMP/night2.log"
[ "$status" -eq 4 ] || fail "drift: exit status $status, expected 4"
grep -q "\"vm\": \"$NAME\"" "$TMP/night2.log" || fail "drift: the VM is not named"
grep -q '"what": "vcpu 0"' "$TMP/night2.log" || fail "drift: libvirt's vCPU pin not listed"
grep -q '"status": 4' "$TMP/night2.log" || fail "drift: json status"
grep -q "^vmplan_nightly_status{.*} 4$" "$TMP/n.prom" || fail "drift: prom status not 4"
# The bench still ran and was stored: the history has both nights.
if command -v sqlite3 >/dev/null; then
	[ "$(rows "SELECT count(*) FROM runs")" = 2 ] || fail "history: $(rows "SELECT count(*) FROM runs") runs, expected 2"
	[ "$(rows "SELECT count(DISTINCT run_id) FROM results")" = 2 ] || fail "history: results of both runs"
fi
# The domain itself was left as it was: the bench never touches it.
[ "$(virsh -c "$URI" vcpupin "$NAME" 0 | awk '$1 == "0" {print $2}')" = "$other" ] ||
	fail "the bench changed the running domain's pin"
virsh -c "$URI" domstate "$NAME" | grep -q running || fail "the domain no longer runs"

# Stopped: listed as not running, not drift (its definition still matches).
virsh -c "$URI" destroy "$NAME" >/dev/null 2>&1 || fail "destroy"
"$VMPLAN" nightly --skip bench,reports >"$TMP/night3.log" 2>&1
status=$?
cat "$TMP/night3.log"
[ "$status" -eq 0 ] || fail "stopped: exit status $status, expected 0"
grep -q "0 drift, 1 planned VM not running" "$TMP/night3.log" || fail "stopped: not listed as not running"
echo "ok"
