#!/usr/bin/env bash
# Choosing each cell's candidate on two held-out periods (scripts/longhorizon/backtest.py says how): stage 1 runs every
# fitted-highway candidate with seed 1 on the backtest split (and on the protocol, where the one-SE runs are missing),
# stage 2 seeds 2-3 of each candidate chosen, on the protocol. Then `scripts/longhorizon/backtest.py runs/longhorizon`.
#
#   scripts/longhorizon/backtest.sh 1|2 [PARALLEL] [DATA_DIR]      defaults: 2 ../shared/data
#   ONLY=uni scripts/longhorizon/backtest.sh 1                      only the runs whose name matches ONLY
#
# On the 2-core development machine stage 1 took 85 CPU-minutes (64 backtest runs, 36; and from scratch as many on the
# protocol, 49), stage 2 36 CPU-minutes (32 runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
stage="$1"
parallel="${2:-2}"
data="${3:-../shared/data}"
out=runs/longhorizon
flag=$([ "$stage" = 1 ] && echo --runs || echo --next)
scripts/longhorizon/backtest.py "$out" "$flag" "$data" | grep -E -- "${ONLY:-.}" | scripts/longhorizon/runs.sh "$parallel" "$out"
