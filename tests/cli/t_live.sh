# vmplan export --define --live: pins a running domain now, says what waits for its next start.
# libvirt's test driver runs a domain "test" (2 vCPUs, no I/O thread) in every fresh process.
# It pins the emulator live but refuses VIR_DOMAIN_AFFECT_LIVE for vCPUs, so the vCPU pins
# are seen failing here; tests/libvirt/t_qemu.sh sees them applied on QEMU.
. "$(dirname "$0")/lib.sh"
PLAN="$VMPLAN_SOURCE_DIR/tests/golden/full/plan.json"

run suggest --synthetic "node:2 core:4 pu:2" --reserve none --vm name=test,vcpus=2,memory=256M \
	-o "$TMP/test.json"
expect_status 0 "plan for the running domain"
# The pins the plan gives, read from plan.json itself.
emulator=$(sed -n 's/^ *"emulatorpin": "\(.*\)",$/\1/p' "$TMP/test.json")
vcpu0=$(awk '/"vcpupin": \[/ { on = 1; next } on { gsub(/[ ,]/, ""); print; exit }' "$TMP/test.json")
expect_true "the plan pins the emulator" [ -n "$emulator" ]
expect_true "the plan pins vCPU 0" [ -n "$vcpu0" ]
# pin_applied NAME true|false: the live_pins entry NAME of the JSON output says applied so.
pin_applied() {
	grep -A3 -F "\"pin\": \"$1\"" "$TMP/out" | grep -qF "\"applied\": $2"
}

# Misuse.
run export "$TMP/test.json" --live
expect_status 2 "--live without --define"
expect_in err "--live goes with --define" "why"
run export "$TMP/test.json" --live --out-dir "$TMP/x" --format salt
expect_status 2 "--live with another format, no --define"
expect_true "nothing written" test ! -e "$TMP/x"

# A dry run lists the pins, in the order they would be applied, and changes nothing.
run export "$TMP/test.json" --define test:///default --force --live --dry-run --out-dir "$TMP/bak"
expect_status 0 "--live --dry-run"
expect_in out "test: would be updated" "says what the real run will do"
expect_in out "  test is running: vCPU and emulator pins would be applied live; memory placement" \
	"says the pins would be applied live, in the real run's words"
expect_in out "  would pin emulator to CPUs $emulator live" "the emulator pin"
expect_in out "  would pin vcpu 0 to CPUs $vcpu0 live" "vCPU 0's pin"
expect_true "emulator first" [ "$(grep -m1 'would pin' "$TMP/out")" = \
	"  would pin emulator to CPUs $emulator live" ]
expect_true "no backup in a dry run" test ! -e "$TMP/bak/test.xml.bak"

# Live: the definition is written, the emulator pinned, then the test driver refuses the
# vCPU pin; the error names the VM, the pin and libvirt's reason, and the status says it.
run export "$TMP/test.json" --define test:///default --force --live --out-dir "$TMP/bak"
expect_status 1 "a live pin libvirt refuses"
expect_in out "test: updated (previous definition saved in $TMP/bak/test.xml.bak)" "defined first"
expect_in out "test is running: 1 of 3 pins applied live, then vcpu 0 failed" "what was pinned"
expect_in err "cannot pin vcpu 0 of running domain 'test' to CPUs '$vcpu0' live: " "which pin"
expect_in err "unsupported flags" "libvirt's reason"
expect_in err "its persistent definition holds the plan" "the definition is written"
expect_true "backup written" test -s "$TMP/bak/test.xml.bak"

run export "$TMP/test.json" --define test:///default --force --live --out-dir "$TMP/bak" --json
expect_status 1 "--live --json, refused"
expect_in out '"running": true' "running"
expect_in out '"live": false' "not every pin applied"
expect_true "the emulator pin applied" pin_applied emulator true
expect_true "vCPU 0 not applied" pin_applied "vcpu 0" false
expect_in out '"at_next_start": "memory placement (numatune, hugepages' "what waits"

# Without --live the JSON is what it was: no live fields.
run export "$TMP/test.json" --define test:///default --force --out-dir "$TMP/bak" --json
expect_status 0 "--define --json without --live"
expect_true "no live field" not grep -q '"live' "$TMP/out"

# Another number of vCPUs or I/O threads than the running guest: refused, nothing changed.
run suggest --synthetic "node:2 core:4 pu:2" --reserve none \
	--vm name=test,vcpus=2,memory=256M,iothreads=1 -o "$TMP/io.json"
expect_status 0 "plan with an I/O thread"
run export "$TMP/io.json" --define test:///default --force --live --out-dir "$TMP/bak2"
expect_status 1 "the running guest has no I/O thread"
expect_in err "cannot pin running domain 'test' live: it runs 2 vCPUs and 0 I/O threads, " \
	"why"
expect_true "not reported as updated" not grep -q "test: updated" "$TMP/out"
expect_true "nothing backed up" test ! -e "$TMP/bak2/test.xml.bak"

# Pin drift: the definition already holds the plan, the running guest not. A test driver
# file runs the merged domain; the dry run and the real run say it in the same words.
run export "$TMP/test.json" --connect test:///default --domain test --force
expect_status 0 "the merged domain"
{ echo "<node>"; sed 1d "$TMP/out"; echo "</node>"; } >"$TMP/node.xml"
run export "$TMP/test.json" --define "test://$TMP/node.xml" --force --live --dry-run
expect_status 0 "drift, dry run"
expect_in out "test: unchanged" "the definition stays"
expect_true "no 'would be unchanged'" not grep -q "would be unchanged" "$TMP/out"
expect_in out "  test is running: vCPU and emulator pins would be applied live" "pins would be applied"
run export "$TMP/test.json" --define "test://$TMP/node.xml" --force --live --dry-run --json
expect_in out '"action": "dry run"' "dry run in JSON"
expect_in out '"result": "unchanged"' "one field says the outcome"
run export "$TMP/test.json" --define "test://$TMP/node.xml" --force --live --out-dir "$TMP/bak4"
expect_in out "test: unchanged" "the real run: same word"
expect_in out "  test is running: 1 of 3 pins applied live" "then pins live"

# Domains that do not run: defined, nothing to pin.
run export "$PLAN" --define test:///default --force --live --out-dir "$TMP/bak3"
expect_status 0 "--live, nothing running"
expect_in out "rt: created" "rt defined"
expect_true "nothing pinned" not grep -q "live" "$TMP/out"
run export "$PLAN" --define test:///default --force --live --out-dir "$TMP/bak3" --json
expect_in out '"live": false' "live false in JSON"

# Help and completion name the option.
run help export
expect_in out "  --live " "--help"
comp_out=$(bash -c '. "$1"; COMP_WORDS=(vmplan export plan.json --li); COMP_CWORD=3
	_vmplan "$2"; printf "%s\n" "${COMPREPLY[@]}"' _ \
	"$VMPLAN_SOURCE_DIR/completions/vmplan.bash" "$VMPLAN" 2>&1)
expect_true "completion offers --live" [ "$comp_out" = "--live" ]

finish
