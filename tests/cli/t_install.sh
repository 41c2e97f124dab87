# cmake --install: the binary, profiles, man pages, bash completion and README land where
# they belong, each man page renders without warnings, and completion works from the help.
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

expect_true "bin/vmplan installed" test -x "$P/bin/vmplan"
expect_true "profiles installed" test -f "$P/share/vmplan/profiles/database.yaml"
expect_true "example mix installed" test -f "$P/share/vmplan/profiles/examples/mix.yaml"
expect_true "README installed" cmp -s "$P/share/doc/vmplan/README.md" "$VMPLAN_SOURCE_DIR/README.md"
expect_true "completion installed" test -f "$P/share/bash-completion/completions/vmplan"

# One page for vmplan and one per command its --help lists.
cmds=$("$VMPLAN" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
for c in probe suggest export verify; do
	expect_true "'$c' in the command list" grep -qx "$c" <<<"$cmds"
done
pages=vmplan
for c in $cmds; do pages="$pages vmplan-$c"; done
for page in $pages; do
	f=$P/share/man/man1/$page.1
	expect_true "$page.1 installed" test -f "$f"
	[ -f "$f" ] || continue
	if command -v groff >/dev/null; then
		# -ww: every warning; -z: no output, only the diagnostics.
		groff -man -Tutf8 -ww -z "$f" >"$TMP/err" 2>&1
		checks=$((checks + 1))
		[ ! -s "$TMP/err" ] || fail "$page.1 renders with warnings: $(cat "$TMP/err")"
		if command -v man >/dev/null; then
			MANWIDTH=100 man --warnings -l "$f" >"$TMP/out" 2>"$TMP/err"
		else
			groff -man -Tutf8 "$f" >"$TMP/out" 2>"$TMP/err"
		fi
		checks=$((checks + 1))
		[ ! -s "$TMP/err" ] || fail "$page.1: man warns: $(cat "$TMP/err")"
		expect_in out "NAME" "$page.1 has a NAME section"
		expect_in out "SYNOPSIS" "$page.1 has a SYNOPSIS"
		expect_in out "EXIT STATUS" "$page.1 has the exit statuses"
	else
		echo "skip: groff is missing; $page.1 not rendered" >&2
	fi
done

# The pages say what --help says: every option of 'vmplan help suggest' is in the page.
if command -v groff >/dev/null; then
	groff -man -Tutf8 "$P/share/man/man1/vmplan-suggest.1" 2>/dev/null |
		sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g' >"$TMP/page"
	for opt in $("$VMPLAN" help suggest | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		checks=$((checks + 1))
		grep -qF -- "$opt" "$TMP/page" || fail "vmplan-suggest.1 lacks $opt"
	done
	expect_true "vmplan.1 lists every command page" grep -q "vmplan-verify(1)" \
		<(groff -man -Tutf8 "$P/share/man/man1/vmplan.1" 2>/dev/null | sed 's/.\x08//g')
fi

# Completion, from the installed script and binary.
comp() {
	# shellcheck disable=SC1091
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_vmplan "$0"; printf "%s\n" "${COMPREPLY[@]}"' "$P/bin/vmplan" \
		"$P/share/bash-completion/completions/vmplan" "$@" >"$TMP/out" 2>"$TMP/err"
}
comp vmplan ""
expect_in out "suggest" "completes the commands"
expect_in out "probe" "completes the commands (probe)"
comp vmplan suggest --ord
expect_true "completes suggest's options" grep -qx -- "--order" "$TMP/out"
comp vmplan suggest --order ""
expect_true "completes an option's values" test "$(tr '\n' ' ' <"$TMP/out")" = "batch given "
comp vmplan export plan.json --format ""
expect_true "completes --format" test "$(sort "$TMP/out" | tr '\n' ' ')" = "json libvirt salt "
comp vmplan probe --
expect_true "probe's options only, not the exit-status text" not grep -qx -- "--validate" "$TMP/out"
expect_true "probe's options include --measure" grep -qx -- "--measure" "$TMP/out"

finish
