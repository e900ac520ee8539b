#!/bin/sh
# Configures (once) and builds one build directory.
#   scripts/build.sh DIR [meson options...]
set -eu
dir=$1
shift
cd "$(dirname "$0")/.."
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
		cat "$dir.setup.log" >&2
		exit 1
	}
	rm -f "$dir.setup.log"
fi
ninja -C "$dir" -j "$(nproc)"
