# Bash completion: options from each command's usage lines and option column (not from its
# prose), and values where the help spells them out.
. "$(dirname "$0")/lib.sh"

# complete WORD...: what completion offers for the command line WORD... (the last one is
# the word being completed), one per line.
complete_words() {
	bash -c '. "$1"; shift; bin=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_vmplan "$bin"; printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$VMPLAN_SOURCE_DIR/completions/vmplan.bash" "$VMPLAN" "$@" 2>&1
}

out=$(complete_words vmplan export plan.json -)
expect_true "export offers --define" grep -qx -- "--define" <<<"$out"
expect_true "export offers no -o (its help says 'as suggest -o writes it')" \
	not grep -qx -- "-o" <<<"$out"
out=$(complete_words vmplan suggest --reserve "")
expect_true "suggest --reserve offers auto and none" [ "$(echo $out)" = "auto none" ]
out=$(complete_words vmplan probe --ou)
expect_true "probe offers --output" [ "$out" = "--output" ]
out=$(complete_words vmplan suggest --order "")
expect_true "suggest --order offers batch and given" [ "$(echo $out)" = "batch given" ]

finish
