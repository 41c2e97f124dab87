#!/usr/bin/env bash
# Check that every file includes only the headers its layer may use: check-layers.sh SRC RULE...
#
# The build runs this (target check-layers) with one RULE per layer from CMakeLists.txt's
# vmplan_layer() calls, NAME:LAYERS:LIBS:TODO_LAYERS:TODO_LIBS[:thin] (lists comma-separated):
# a file of layer NAME may include the headers of NAME, of the layers it may use and of the
# layers those may use, and those of the libraries any of them links; a thin layer (cli, the
# executable) only those of its own LIBS. TODO_* edges are allowed but named on stderr, so that
# what still needs them stays visible until the code moves and the edge is deleted.
#
# Whose header is whose: include/vmplan/*.h by the table below; "DIR/x.h" and a bare "x.h"
# beside the file belong to that folder's layer; a library's headers to that library. A public
# header missing from the table belongs to the one layer with a .c file of the same name
# (vmplan/plan_json.h: core/plan_json.c); with none, it is an error: add it to the table.
set -euo pipefail
src=${1:?usage: check-layers.sh SRC RULE...}
shift

# The public headers' layers.
public_layer() {
	case $1 in
	capacity | cpuset | error | fileio | fleet | host_json | model | profile | request | size | spec | xml | version)
		echo core ;;
	probe | probe_libvirt | probe_fleet | measure) echo probes ;;
	plan | fleet_plan) echo planner ;;
	export) echo export ;;
	bench | history | guest) echo bench ;;
	report) echo reports ;;
	*)
		# A new header belongs to the one layer with a .c file of its name.
		local c=("$src"/{core,probes,planner,export,bench,reports}/"$1".c)
		local found=()
		for f in "${c[@]}"; do [ -e "$f" ] && found+=("$f"); done
		[ ${#found[@]} -eq 1 ] || return 1
		f=${found[0]%/*}
		echo "${f##*/}"
		;;
	esac
}

# The library a system header belongs to, or nothing for the C library and the kernel's.
header_lib() {
	case $1 in
	hwloc.h | hwloc/*) echo hwloc ;;
	numa.h | numaif.h) echo numa ;;
	libvirt/*) echo libvirt ;;
	libxml/*) echo libxml2 ;;
	jansson.h) echo jansson ;;
	yaml.h) echo yaml ;;
	sqlite3.h) echo sqlite ;;
	archive.h | archive_entry.h) echo archive ;;
	coin/*) echo cbc ;;
	esac
}

declare -A LAYERS LIBS TODO_LAYERS TODO_LIBS THIN
names=()
for rule in "$@"; do
	IFS=: read -r name layers libs todo_layers todo_libs thin <<<"$rule"
	names+=("$name")
	LAYERS[$name]=${layers//,/ }
	LIBS[$name]=${libs//,/ }
	TODO_LAYERS[$name]=${todo_layers//,/ }
	TODO_LIBS[$name]=${todo_libs//,/ }
	THIN[$name]=${thin:-}
done

# closure NAME WITH_TODO: NAME and every layer it may use, directly or not.
closure() {
	local todo=$2 seen=" $1 " queue=("$1") l d
	while [ ${#queue[@]} -gt 0 ]; do
		l=${queue[0]}
		queue=("${queue[@]:1}")
		for d in ${LAYERS[$l]:-} ${todo:+${TODO_LAYERS[$l]:-}}; do
			[[ $seen == *" $d "* ]] && continue
			seen+="$d "
			queue+=("$d")
		done
	done
	echo "$seen"
}

# allowed_libs NAME WITH_TODO
allowed_libs() {
	local out=" " l
	if [ -n "${THIN[$1]}" ]; then
		echo " ${LIBS[$1]} ${2:+${TODO_LIBS[$1]}} "
		return
	fi
	for l in $(closure "$1" "$2"); do
		out+="${LIBS[$l]:-} ${2:+${TODO_LIBS[$l]:-}} "
	done
	echo "$out"
}

status=0
todo_uses=0
for layer in "${names[@]}"; do
	layers_ok=$(closure "$layer" "")
	layers_todo=$(closure "$layer" 1)
	libs_ok=$(allowed_libs "$layer" "")
	libs_todo=$(allowed_libs "$layer" 1)
	files=()
	[ -d "$src/$layer" ] && files+=("$src/$layer"/*.[ch])
	for h in "$src"/include/vmplan/*.h "$src"/include/vmplan/*.h.in; do
		[ -e "$h" ] || continue
		b=${h##*/}
		b=${b%%.*}
		if ! owner=$(public_layer "$b"); then
			echo "${h#"$src"/}: public header of no layer: add it to scripts/check-layers.sh" >&2
			status=1
			continue
		fi
		[ "$owner" = "$layer" ] && files+=("$h")
	done
	for f in "${files[@]}"; do
		[ -e "$f" ] || continue
		rel=${f#"$src"/}
		while IFS=: read -r line inc; do
			inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//; s/[[:space:]]*(\/[*/].*)?$//' <<<"$inc")
			hdr=${inc:1:${#inc}-2}
			kind=layer
			case $inc in
			\<*)
				kind=lib
				owner=$(header_lib "$hdr")
				[ -n "$owner" ] || continue
				;;
			\"vmplan/*)
				b=${hdr#vmplan/}
				if ! owner=$(public_layer "${b%.h}"); then
					echo "$rel:$line: '$hdr' is no public header of any layer" >&2
					status=1
					continue
				fi
				;;
			\"*/*)
				owner=${hdr%%/*}
				;;
			\"*)
				if [ -e "$(dirname "$f")/$hdr" ]; then
					owner=$layer
				else
					echo "$rel:$line: cannot tell whose header '$hdr' is" >&2
					status=1
					continue
				fi
				;;
			*) continue ;;
			esac
			if [ $kind = lib ]; then
				ok=$libs_ok todo=$libs_todo what="library $owner"
			else
				ok=$layers_ok todo=$layers_todo what="layer $owner"
			fi
			[[ $ok == *" $owner "* ]] && continue
			if [[ $todo == *" $owner "* ]]; then
				echo "$rel:$line: note: '$hdr' ($what) is allowed to $layer only by a TODO(layering) edge" >&2
				todo_uses=$((todo_uses + 1))
				continue
			fi
			echo "$rel:$line: '$hdr' belongs to $what, which $layer may not use (CMakeLists.txt, vmplan_layer)" >&2
			status=1
		done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include' "$f" || true)
	done
done
# The guest program (guest/) is no layer: a static executable of its own files and the
# measurement engine, so it may include only probes/engine.h, its own headers and the C
# library's and the kernel's (no library's: it links none).
for f in "$src"/guest/*.[ch]; do
	[ -e "$f" ] || continue
	rel=${f#"$src"/}
	while IFS=: read -r line inc; do
		inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//; s/[[:space:]]*(\/[*/].*)?$//' <<<"$inc")
		hdr=${inc:1:${#inc}-2}
		case $inc in
		\<*)
			owner=$(header_lib "$hdr")
			[ -z "$owner" ] && continue
			echo "$rel:$line: '$hdr' belongs to library $owner; the guest program links none" >&2
			;;
		\"probes/engine.h\" | \"guest/*) continue ;;
		\"*)
			[[ $hdr != */* && -e $(dirname "$f")/$hdr ]] && continue
			echo "$rel:$line: '$hdr': the guest program may include only probes/engine.h and its own headers" >&2
			;;
		*) continue ;;
		esac
		status=1
	done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include' "$f" || true)
done

[ $status -eq 0 ] || echo "check-layers.sh: layering errors (see above)" >&2
[ $todo_uses -eq 0 ] || echo "check-layers.sh: $todo_uses include(s) still need a TODO(layering) edge" >&2
exit $status
