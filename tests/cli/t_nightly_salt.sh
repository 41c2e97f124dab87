# The nightly Salt state (systemd/vmplan-nightly.sls): rendered as Salt does (Jinja, then
# YAML), every requisite names a state of the file, and its accept command keeps a plan.
. "$(dirname "$0")/lib.sh"
SLS=$VMPLAN_SOURCE_DIR/systemd/vmplan-nightly.sls
PY=$(command -v python3) || { echo "skip: python3 is missing" >&2; exit 77; }
"$PY" -c 'import jinja2, yaml' 2>/dev/null || {
	echo "skip: python3's jinja2 and yaml are missing (python3-jinja2, python3-yaml)" >&2
	exit 77
}
# render STATE_DIR PACKAGE: the state rendered for minion node1, as JSON lines: id, function,
# then the accept command.
render() {
	"$PY" - "$SLS" "$1" "$2" <<'PYEOF'
import json, sys, jinja2, yaml
sls, state_dir, package = sys.argv[1:4]
pillar = {"vmplan:state_dir": state_dir, "vmplan:package": package}
get = lambda key, default="": pillar.get(key, default)
text = jinja2.Environment().from_string(open(sls).read()).render(
    salt={"pillar.get": get}, grains={"id": "node1"})
states = yaml.safe_load(text)
for sid, body in states.items():
    (fun, args), = body.items()
    print("state", sid, fun)
    for arg in args:
        for key, value in arg.items():
            if key in ("require", "onchanges", "require_in"):
                for req in value:
                    (mod, target), = req.items()
                    print("req", sid, key, mod, target)
            elif key in ("name", "source"):
                print("arg", sid, key, value)
PYEOF
}
render /srv/vmplan-state vmplan >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status 0 "the state renders and parses"
for s in "vmplan-state-dir file.directory" "vmplan-plan file.managed" \
	"vmplan-accept cmd.run" "vmplan-nightly-timer service.running" "vmplan-package pkg.installed"; do
	expect_in out "state $s" "state $s"
done
expect_in out "arg vmplan-plan source salt://vmplan/plans/node1.json" "the minion's own plan"
expect_in out "arg vmplan-nightly-timer name vmplan-nightly.timer" "the timer"
# Every requisite names a state of this file, of the module it is.
while read -r _ sid kind mod target; do
	checks=$((checks + 1))
	grep -qx "state $target $mod\..*" "$TMP/out" || fail "$sid $kind $mod: $target is no $mod state here"
done < <(grep '^req ' "$TMP/out")
render /srv/vmplan-state "" >"$TMP/out" 2>"$TMP/err"
expect_true "no package state without the pillar" not grep -q "vmplan-package" "$TMP/out"

# The accept command as rendered keeps a plan of this host in its state directory.
render "$TMP/state" "" >"$TMP/out"
cmd=$(sed -n 's/^arg vmplan-accept name vmplan //p' "$TMP/out")
mkdir -p "$TMP/state"
"$VMPLAN" suggest --vm name=a,vcpus=1,memory=64M -o "$TMP/state/plan.served.json" >/dev/null
# shellcheck disable=SC2086 # the command's words, as Salt's cmd.run splits them
VMPLAN_SYSTEMD_DIR=$TMP/none run $cmd
expect_status 0 "the state's accept command"
expect_true "the served plan kept" cmp -s "$TMP/state/plan.served.json" "$TMP/state/plan.json"
finish
