# bash completion for vmplan: commands, options and their values, read from vmplan's own help.
#
# Nothing is listed here: the commands come from 'vmplan --help', each command's options
# from 'vmplan help COMMAND', and an option's values from the help's "--opt a|b|c" forms, so
# completion follows the binary it completes for. Installed as
# share/bash-completion/completions/vmplan; or source it: . completions/vmplan.bash

# The help text of "$1" (the vmplan being completed), cached per binary and command.
_vmplan_help()
{
	local bin=$1 cmd=$2 key
	key="${bin}|${cmd}"
	if [[ -z ${_vmplan_help_cache[$key]+set} ]]; then
		if [[ -n $cmd ]]; then
			_vmplan_help_cache[$key]=$("$bin" help "$cmd" 2>/dev/null)
		else
			_vmplan_help_cache[$key]=$("$bin" --help 2>/dev/null)
		fi
	fi
	printf '%s\n' "${_vmplan_help_cache[$key]}"
}
declare -gA _vmplan_help_cache 2>/dev/null || declare -A _vmplan_help_cache

_vmplan_commands()
{
	_vmplan_help "$1" "" | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

# The values an option takes where the help spells them out ("--order batch|given").
_vmplan_values()
{
	local help=$1 opt=$2
	grep -oE -- "(^|[[ ])$opt [a-z0-9_-]+(\|[a-z0-9_-]+)+" <<<"$help" | head -n 1 |
		sed -E "s/^.*$opt //; s/\|/ /g"
}

_vmplan()
{
	local bin=$1 cur prev cmd="" help opts values i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# The binary as typed may be relative ("build/vmplan"); a bare name is looked up in PATH.
	[[ $bin == */* ]] || bin=$(type -P "$bin") || return 0

	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			break
		fi
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$(_vmplan_commands "$bin") help --help --version" -- "$cur"))
		return 0
	fi
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$(_vmplan_commands "$bin")" -- "$cur"))
		return 0
	fi

	# The options are those of the command's own text, not of the exit statuses after it.
	help=$(_vmplan_help "$bin" "$cmd" | sed '/^Exit status/,$d')
	case $prev in
	--host | --topology | --vms | -o | --output | --domain-xml | --history | --prom | --fleet)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--fsroot | --xml-dir | --out-dir | --out | --state-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--connect | --define)
		COMPREPLY=($(compgen -W "qemu:///system qemu:///session test:///default" -- "$cur"))
		compopt -o nospace 2>/dev/null
		return 0
		;;
	-*)
		values=$(_vmplan_values "$help" "$prev")
		if [[ -n $values ]]; then
			COMPREPLY=($(compgen -W "$values" -- "$cur"))
			return 0
		fi
		# An option that takes a value the help does not enumerate (SPEC, DESC, NAME).
		if grep -qE -- "(^|[[ ])$prev [A-Za-z.<]" <<<"$help"; then
			return 0
		fi
		;;
	esac
	if [[ $cur == -* ]]; then
		# From the usage lines and the option column only, not from the prose
		# ("as suggest -o writes it" is no option of export).
		opts=$(grep -E -- '^(usage:|  +[[(]|  +-)' <<<"$help" |
			grep -oE -- '(^|[[ (|,])--?[a-zA-Z][a-zA-Z-]*' | sed -E 's/^[[ (|,]//' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	# Positional arguments: the words the usage lines give right after the command
	# ("vmplan report capacity ...", "report capacity|bench|host"), else files (plan.json).
	values=$(grep -oE -- "vmplan $cmd [a-z]+(\|[a-z]+)*( |$)" <<<"$help" |
		sed -E "s/^vmplan $cmd //" | tr '|' '\n' | sort -u)
	if [[ -n $values && $((COMP_CWORD - i)) -eq 1 ]]; then
		COMPREPLY=($(compgen -W "$values" -- "$cur"))
		return 0
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
	compopt -o filenames 2>/dev/null
	return 0
}
complete -F _vmplan vmplan
