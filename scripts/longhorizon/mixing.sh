#!/usr/bin/env bash
# The channel-mixing ablation of docs/forecasting.md ("Channel independence against channel mixing"): the multivariate
# task (all 7 columns forecast) done by seven channel-mixing forecasters, one per column, each seeing every column's
# history (--features all --target COL), in the same setting as the channel-independent "frozen, 512" runs of
# ridge-init.sh (look-back 512, patch 16, highway fitted by ridge and frozen, --epoch-choice one-se; per-window scaling
# on ETTh2). The multivariate score is the mean over columns of each column's standardized MSE on the same test
# windows, so the mean of the seven runs' scores is directly comparable with the channel-independent run's score;
# scripts/longhorizon/mixing.py prints that table.
#
#   scripts/longhorizon/mixing.sh [PARALLEL] [DATA_DIR]      defaults: 1 ../shared/data
#   ONLY=mx-ETTh1 scripts/longhorizon/mixing.sh              the runs whose name matches ONLY
#
# About 56 runs of 20-60 CPU s each on the 2-core development machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
parallel="${1:-1}"
data="${2:-../shared/data}"
for d in ETTh1 ETTh2; do
  scale=""; [ "$d" = ETTh2 ] && scale="--instance-scale"
  for h in 96 192 336 720; do
    for col in HUFL HULL MUFL MULL LUFL LULL OT; do
      echo "mx-$d-$h-$col-s1 --csv $data/$d.csv --target $col --features all --protocol ett-long --baselines naive \
--highway-init ridge --horizon $h --seed 1 --window 512 --patch 16 --freeze-highway --epoch-choice one-se${scale:+ $scale}"  # no trailing blank: xargs -L would join the next line
    done
  done
done | grep -E -- "${ONLY:-.}" | scripts/longhorizon/runs.sh "$parallel" runs/longhorizon
