#!/usr/bin/env bash
# Run the README's test command on a copy of the tracked files with no ../shared beside it.
# usage: scripts/test-fresh-clone.sh
#
# What a fresh clone sees: no fixture tier (../shared/fixtures), no build folders, nothing
# untracked. Every test that reads a fixture must skip, saying so, instead of failing. The copy
# (the working tree's tracked files, edits included) goes to a temporary folder, removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmplan-fresh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/vmplan"
git ls-files -z | xargs -0 tar -cf - --no-recursion | tar -xf - -C "$tmp/vmplan"
if [ -e "$tmp/shared" ]; then
	echo "test-fresh-clone.sh: $tmp/shared exists; cannot test without fixtures" >&2
	exit 1
fi
echo "test-fresh-clone.sh: ./bootstrap.sh test in $tmp/vmplan (no ../shared)" >&2
cd "$tmp/vmplan"
./bootstrap.sh test
