#!/usr/bin/env bash
# Check or apply the house format (.clang-format) on every tracked C file.
# usage: scripts/format.sh [check | fix] [FILE...]
#
#   check  (default) what CI runs: list every file clang-format would change, and fail
#   fix    rewrite the files in place
#   FILE   only these files (default: git ls-files '*.c' '*.h')
#
# The formatter is clang-format 14 (Debian 12's clang-format-14; CLANG_FORMAT overrides it):
# another version formats some constructs differently, so one version for everyone.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
[ $# -gt 0 ] && shift
case $mode in
check) args=(--dry-run -Werror) ;;
fix) args=(-i) ;;
*)
	echo "format.sh: unknown mode '$mode'; usage: scripts/format.sh [check | fix] [FILE...]" >&2
	exit 2
	;;
esac
cf=${CLANG_FORMAT:-clang-format-14}
command -v "$cf" >/dev/null || {
	echo "format.sh: $cf is missing (apt-get install clang-format-14)" >&2
	exit 2
}
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "$mode" = fix ]; then
	"$cf" "${args[@]}" "${files[@]}"
	exit 0
fi
bad=()
for f in "${files[@]}"; do
	"$cf" "${args[@]}" "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
	printf 'format.sh: not formatted: %s\n' "${bad[@]}" >&2
	echo "format.sh: ${#bad[@]} file(s); see the changes with '$cf --dry-run FILE'," \
		"apply them with scripts/format.sh fix" >&2
	exit 1
fi
