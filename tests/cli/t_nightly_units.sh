# The nightly run's systemd units: installed by cmake --install, accepted by
# systemd-analyze verify, with the CPUAffinity= drop-in 'vmplan accept' writes.
. "$(dirname "$0")/lib.sh"
BUILD=$(dirname "$VMPLAN")
if [ ! -f "$BUILD/CMakeCache.txt" ] || ! command -v cmake >/dev/null; then
	echo "skip: $VMPLAN is not in a CMake build tree" >&2
	exit 77
fi
P=$TMP/p
cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1
status=$?
expect_status 0 "cmake --install"
U=$P/lib/systemd/system
expect_true "service installed" test -f "$U/vmplan-nightly.service"
expect_true "timer installed" test -f "$U/vmplan-nightly.timer"
svc=$U/vmplan-nightly.service
tmr=$U/vmplan-nightly.timer
expect_true "oneshot" grep -qx "Type=oneshot" "$svc"
for key in ProtectSystem=strict PrivateTmp=yes Nice=10 ReadWritePaths=/var/lib/vmplan; do
	expect_true "service has $key" grep -qx "$key" "$svc"
done
expect_true "ExecStart runs vmplan nightly" grep -q "^ExecStart=/.*/vmplan nightly " "$svc"
for key in OnCalendar=daily Persistent=true RandomizedDelaySec=2h WantedBy=timers.target; do
	expect_true "timer has $key" grep -qx "$key" "$tmr"
done

if ! command -v systemd-analyze >/dev/null; then
	echo "note: systemd-analyze is missing (apt-get install systemd): units not verified" >&2
	finish
	exit
fi
# Verified where they are found: ExecStart= must name an executable, so the copy runs the
# vmplan just built; man pages are checked by t_install.sh, not here (--man=no).
D=$TMP/units
mkdir -p "$D"
sed "s|^ExecStart=[^ ]*|ExecStart=$VMPLAN|" "$svc" >"$D/vmplan-nightly.service"
cp "$tmr" "$D/"
# The drop-in 'vmplan accept' writes, for a plan of this host.
"$VMPLAN" suggest --vm name=a,vcpus=1,memory=64M -o "$TMP/plan.json" >/dev/null
VMPLAN_STATE_DIR=$TMP/state VMPLAN_SYSTEMD_DIR=$D "$VMPLAN" accept "$TMP/plan.json" >/dev/null
status=$?
expect_status 0 "accept writes the drop-in"
# By absolute path, so that the drop-in beside the unit is read too (its warnings included).
SYSTEMD_UNIT_PATH="$D:" systemd-analyze verify --man=no "$D/vmplan-nightly.service" \
	"$D/vmplan-nightly.timer" >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status 0 "systemd-analyze verify"
checks=$((checks + 1))
[ ! -s "$TMP/err" ] || fail "systemd-analyze verify warns: $(cat "$TMP/err")"
if [ "$(nproc)" -gt 1 ]; then
	expect_true "the drop-in was written" \
		grep -q "^CPUAffinity=[0-9]" "$D/vmplan-nightly.service.d/50-vmplan-cpuaffinity.conf"
fi
# What is checked can fail: a bad drop-in and a bad Type= are reported.
printf '[Service]\nCPUAffinity=zz\n' >"$D/vmplan-nightly.service.d/99-bad.conf"
SYSTEMD_UNIT_PATH="$D:" systemd-analyze verify --man=no "$D/vmplan-nightly.service" >"$TMP/out" 2>"$TMP/err"
expect_in err "Failed to parse CPU affinity 'zz'" "a bad drop-in is read and reported"
rm "$D/vmplan-nightly.service.d/99-bad.conf"
sed 's/^Type=oneshot/Type=oneshoot/' "$D/vmplan-nightly.service" >"$TMP/broken.service"
systemd-analyze verify --man=no "$TMP/broken.service" >"$TMP/out" 2>"$TMP/err"
expect_in err "oneshoot" "a bad Type= is reported"
finish
