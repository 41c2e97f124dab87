#!/usr/bin/env bash
# Static analysis: cppcheck over every file the build compiles; any finding fails.
# usage: scripts/cppcheck.sh [BUILD_DIR]   (default build-cppcheck)
#
# The file list and flags come from CMake's compile_commands.json (configured, not built, in
# BUILD_DIR; with clang the fuzz targets are configured too). Checks: warning, performance,
# portability, and information for stale suppressions. Each suppression is in
# scripts/cppcheck-suppressions.txt with why it is a false positive; a one-off can instead
# carry '// cppcheck-suppress ID' on the line above, with a comment saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cppcheck >/dev/null || {
	echo "cppcheck.sh: cppcheck is missing (apt-get install cppcheck)" >&2
	exit 2
}
build=${1:-build-cppcheck}
fuzz=()
if command -v clang >/dev/null; then
	export CC=clang
	fuzz=(-DVMPLAN_FUZZ=ON)
fi
cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "${fuzz[@]}" >/dev/null
status=0
cppcheck --project="$build/compile_commands.json" --quiet -j"$(nproc)" \
	--enable=warning,performance,portability,information --inline-suppr \
	--suppressions-list=scripts/cppcheck-suppressions.txt --error-exitcode=1 \
	--template='{file}:{line}: {severity}: {message} [{id}]' \
	--cppcheck-build-dir="$(mkdir -p "$build/cppcheck" && cd "$build/cppcheck" && pwd)" ||
	status=$?
if [ "$status" -ne 0 ]; then
	echo "cppcheck.sh: findings above; fix them, or suppress a false positive with its reason" \
		"in scripts/cppcheck-suppressions.txt (delete a suppression that no longer matches)" >&2
fi
exit "$status"
