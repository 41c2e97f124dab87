# vmplan export end to end: formats, --out-dir, merging into a domain, --define, errors.
. "$(dirname "$0")/lib.sh"
command -v xmllint >/dev/null || { echo "skip: xmllint (libxml2-utils) is missing"; exit 77; }
PLAN="$VMPLAN_SOURCE_DIR/tests/golden/full/plan.json"
DOMAIN="$VMPLAN_SOURCE_DIR/tests/data/domains/webshop.xml"
RNG=/usr/share/libvirt/schemas/domain.rng
xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }

run export "$PLAN"
expect_status 0 "libvirt XML on stdout"
expect_in out "<!-- rt.xml -->" "one document per placed VM"
expect_in out "<!-- pool.xml -->" "the shared VM too"
expect_in err "skipping VM 'big': it was not placed" "the unplaced VM is named"

run export "$PLAN" --out-dir "$TMP/xml"
expect_status 0 "--out-dir"
expect_in out "wrote $TMP/xml/rt.xml" "files named"
expect_true "no file for the unplaced VM" test ! -e "$TMP/xml/big.xml"
expect_true "no temporary files" [ -z "$(find "$TMP/xml" -name '*.tmp.*')" ]
x="$TMP/xml/rt.xml"
expect_true "4 vcpupins" [ "$(xpath "$x" 'count(/domain/cputune/vcpupin)')" = 4 ]
expect_true "iothreadpin" [ "$(xpath "$x" 'string(/domain/cputune/iothreadpin[2]/@cpuset)')" = 1,8 ]
expect_true "cache unit" [ "$(xpath "$x" 'string(/domain/cputune/cachetune/cache[1]/@unit)')" = MiB ]
expect_true "secure boot" [ "$(xpath "$x" 'count(/domain/os/firmware/feature)')" = 2 ]
if [ -r "$RNG" ]; then
	for f in "$TMP"/xml/*.xml; do
		expect_true "$(basename "$f") valid for libvirt's schema" xmllint --noout --relaxng "$RNG" "$f"
	done
fi

run export "$PLAN" --format json --out-dir "$TMP/json"
expect_status 0 "--format json"
run export "$TMP/json/plan.json" --format json
expect_status 0 "the written plan.json loads again"
expect_true "json round trip is exact" cmp -s "$TMP/out" "$TMP/json/plan.json"

# Salt's virt module has no secure boot: rt's firmware=efi-secure is refused, not made efi.
run export "$PLAN" --format salt --out-dir "$TMP/refused"
expect_status 2 "--format salt with secure boot"
expect_in err "cannot write Salt state for VM 'rt'" "the VM named"
expect_in err "firmware=efi-secure" "what it cannot say"
expect_true "nothing written" test ! -e "$TMP/refused/vmplan.sls"
sed 's/"secure_boot": true/"secure_boot": false/' "$PLAN" >"$TMP/efi.json"
run export "$TMP/efi.json" --format salt
expect_status 0 "--format salt"
expect_in out "virt.defined:" "Salt state function"
expect_in out "emulatorsched: null" "null, not None"
expect_in out "mode: host-passthrough" "kvm passes the host CPU through"
expect_in out "efi: true" "plain UEFI"
expect_true "no None" not grep -q None "$TMP/out"
run export "$TMP/efi.json" --format salt --salt-state running --out-dir "$TMP/salt"
expect_status 0 "salt to a file"
expect_true "vmplan.sls written" grep -q "virt.running:" "$TMP/salt/vmplan.sls"
expect_true "what waits for the next start is said" grep -q "^# numatune, memory backing, memtune, cachetune and memorytune take effect at its next" "$TMP/salt/vmplan.sls"
run export "$TMP/efi.json" --format salt --type qemu
expect_status 0 "--format salt --type qemu"
expect_in out "mode: maximum" "TCG cannot pass the host CPU through"
expect_in out 'vm_type: "qemu"' "the type"
expect_true "no host-passthrough for qemu" not grep -q host-passthrough "$TMP/out"

# Names YAML 1.1 would read as int, bool, None or float stay distinct string state IDs.
H="pack:2 [numa(memory=16GiB)] l3:1 core:8 pu:2"
run suggest --synthetic "$H" --reserve none --vm name=01,vcpus=1,memory=128M \
	--vm name=true,vcpus=1,memory=128M --vm name=null,vcpus=1,memory=128M \
	--vm name=on,vcpus=1,memory=128M --vm name=1.5,vcpus=1,memory=128M \
	--vm name=1_000,vcpus=1,memory=128M -o "$TMP/names.json"
expect_status 0 "plan with YAML-looking names"
run export "$TMP/names.json" --format salt
expect_status 0 "salt with YAML-looking names"
for n in 01 true null on 1.5 1_000; do
	expect_true "state ID $n quoted" grep -qx "\"$n\":" "$TMP/out"
done
if python3 -c 'import yaml' 2>/dev/null; then
	expect_true "PyYAML reads six string IDs" python3 -c '
import sys, yaml
ids = list(yaml.safe_load(open(sys.argv[1])))
sys.exit(ids != ["01", "true", "null", "on", "1.5", "1_000"])' "$TMP/out"
fi

# Salt takes a loader only with an nvram, and writes that nvram as a template: refused both
# ways, naming what to use instead.
run suggest --synthetic "$H" --reserve none \
	--vm name=fw,vcpus=1,memory=128M,loader=/usr/share/OVMF/OVMF_CODE.fd -o "$TMP/fw.json"
expect_status 0 "plan with a loader"
run export "$TMP/fw.json" --format salt
expect_status 2 "salt: loader without nvram"
expect_in err "cannot write Salt state for VM 'fw'" "the VM named"
expect_in err "use firmware=efi (Salt's efi: true)" "what to use"
run suggest --synthetic "$H" --reserve none \
	--vm name=fw,vcpus=1,memory=128M,loader=/usr/share/OVMF/OVMF_CODE.fd,nvram=/var/lib/fw.fd \
	-o "$TMP/fw.json"
run export "$TMP/fw.json" --format salt
expect_status 2 "salt: loader and nvram"
expect_in err "writes that nvram as a template libvirt copies into a new variable store" "why"
run suggest --synthetic "$H" --reserve none --vm name=fw,vcpus=1,memory=128M,firmware=efi \
	-o "$TMP/fw.json"
run export "$TMP/fw.json" --format salt
expect_status 0 "salt: firmware=efi"
expect_in out "efi: true" "efi written"
expect_true "no nvram template" not grep -q nvram "$TMP/out"

# Merging into an existing domain file, in place, with a backup.
cp "$DOMAIN" "$TMP/rt.xml"
run export "$PLAN" --domain-xml "$TMP/rt.xml"
expect_status 0 "--domain-xml"
expect_in out "merged VM 'rt' into $TMP/rt.xml" "merge reported"
expect_true "backup is the original" cmp -s "$DOMAIN" "$TMP/rt.xml.bak"
expect_true "disks kept" [ "$(xpath "$TMP/rt.xml" 'count(/domain/devices/disk)')" = 4 ]
expect_true "metadata kept" grep -q "team-web" "$TMP/rt.xml"
expect_true "comments kept" grep -q "pinned by hand in 2021" "$TMP/rt.xml"
expect_true "stale pins gone" [ "$(xpath "$TMP/rt.xml" 'count(//vcpupin)')" = 4 ]
cp "$TMP/rt.xml" "$TMP/once.xml"
run export "$PLAN" --domain-xml "$TMP/rt.xml"
expect_in out "nothing to change for VM 'rt'" "idempotent"
expect_in out "(left as it is)" "no backup claimed when nothing is written"
# The same with --out-dir naming the file's own folder: nothing written, no backup claimed.
mkdir -p "$TMP/same" && cp "$TMP/rt.xml" "$TMP/same/rt.xml"
run export "$PLAN" --domain-xml "$TMP/same/rt.xml" --out-dir "$TMP/same" --json
expect_status 0 "merge into its own folder"
expect_true "no backup reported" not grep -q '"backup"' "$TMP/out"
expect_true "no backup written" not test -e "$TMP/same/rt.xml.bak"
expect_true "second merge changes nothing" cmp -s "$TMP/once.xml" "$TMP/rt.xml"
run export "$PLAN" --domain-xml "$DOMAIN" --vm pool --out-dir "$TMP/merged"
expect_status 0 "--vm and --out-dir"
expect_true "written to DIR/<vm>.xml" test -s "$TMP/merged/pool.xml"
expect_true "backup next to it" cmp -s "$DOMAIN" "$TMP/merged/pool.xml.bak"
expect_true "the input is untouched" cmp -s "$DOMAIN" "$VMPLAN_SOURCE_DIR/tests/data/domains/webshop.xml"

# --define through libvirt's test driver (each process has a fresh one).
run export "$PLAN" --define test:///default --force
expect_status 0 "--define"
expect_in out "rt: created" "rt defined"
expect_in out "pool: created" "pool defined"
expect_in out "big: not placed, not defined" "big skipped"
run export "$PLAN" --define test:///default --force --dry-run
expect_status 0 "--define --dry-run"
expect_in out "rt: would be created" "dry run says what"
expect_in out "+  <cputune>" "dry run shows the new XML"

# Errors.
run export "$PLAN" --format yaml
expect_status 2 "unknown format"
expect_in err "unknown --format 'yaml'" "format named"
run export "$TMP/missing.json"
expect_status 2 "missing plan"
expect_in err "missing.json" "file named"
sed 's/"mem_mode": "strict"/"mem_mode": 3/' "$PLAN" >"$TMP/bad.json"
run export "$TMP/bad.json"
expect_status 2 "bad plan"
expect_in err "vms[0].request.mem_mode" "field named"
run export "$PLAN" --dry-run
expect_status 2 "--dry-run alone"
run export "$PLAN" --connect test:///default
expect_status 2 "--connect without --domain"
run export "$PLAN" --connect test:///default --domain nosuch
expect_status 2 "no such domain"
expect_in err "no domain 'nosuch'" "domain named"
printf '<network/>' >"$TMP/net.xml"
run export "$PLAN" --domain-xml "$TMP/net.xml" --vm rt
expect_status 2 "not a domain"
expect_in err "not <domain>" "why"
run help export
expect_status 0 "help export"
expect_in out "4  verify: a running domain differs from the plan" "exit statuses listed"

finish
