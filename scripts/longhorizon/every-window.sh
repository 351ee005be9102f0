#!/usr/bin/env bash
# "Training on every window per epoch" in docs/forecasting.md: the univariate OT forecaster in the fixed setting's
# model (look-back 512, patch 16, highway fitted by ridge and frozen, --epoch-choice one-se) trained on all of OT's
# training windows every epoch (--windows-per-epoch 0: 8,033 at horizon 96, about 4x the default 2,048) instead of 2,048
# drawn per epoch; seed 1, every dataset and horizon. Compared with ridge-init.sh's se-uni-...-fz512-s1 runs (the same
# but 2,048 windows per epoch) by scripts/longhorizon/every-window.py.
#
#   scripts/longhorizon/every-window.sh [PARALLEL] [DATA_DIR]      defaults: 1 ../shared/data
#
# About 8 runs of 1-3 CPU-minutes each on the 2-core development machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
parallel="${1:-1}"
data="${2:-../shared/data}"
for d in ETTh1 ETTh2; do
  for h in 96 192 336 720; do
    echo "ew-uni-$d-$h-fz512-s1 --csv $data/$d.csv --target OT --features target --protocol ett-long --baselines naive \
--highway-init ridge --horizon $h --seed 1 --window 512 --patch 16 --freeze-highway --epoch-choice one-se --windows-per-epoch 0"
  done
done | grep -E -- "${ONLY:-.}" | scripts/longhorizon/runs.sh "$parallel" runs/longhorizon
