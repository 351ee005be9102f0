#!/usr/bin/env bash
# The one runner behind run.sh and instance-scale.sh: reads "NAME forecast-arguments..." lines on stdin and runs each as
# `lstmnative forecast`, PARALLEL at a time, niced, writing OUT/NAME.json (report), NAME.time (wall and CPU seconds from
# /usr/bin/time), NAME.log and the NAME/ output folder.
#
#   ... | scripts/longhorizon/runs.sh PARALLEL OUT
#   LSTMNATIVE_CLI=path/lstmnative.dll ...   another build (e.g. one made with -o while these runs use the usual one)
set -euo pipefail
cd "$(dirname "$0")/../.."
parallel="$1"
out="$2"
cli="${LSTMNATIVE_CLI:-src/LstmNative.Cli/bin/Release/net10.0/lstmnative.dll}"
[ -f "$cli" ] || { echo "longhorizon: build first: dotnet build -c Release" >&2; exit 2; }
mkdir -p "$out"
xargs -P "$parallel" -L 1 bash -c 'name=$0; /usr/bin/time -f "wall %e s cpu %U+%S" -o "'"$out"'/$name.time" \
    nice -n 19 dotnet "'"$cli"'" forecast "$@" -o "'"$out"'/$name" --report "'"$out"'/$name.json" > "'"$out"'/$name.log" 2>&1 \
    && echo "$name done" || echo "$name FAILED (see '"$out"'/$name.log)"'
