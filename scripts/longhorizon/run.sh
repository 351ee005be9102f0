#!/usr/bin/env bash
# The long-horizon protocol runs of docs/forecasting.md ("Long-horizon protocol"): ETTh1 and ETTh2, horizons 96-720,
# look-back 336, multivariate (all 7 columns in and out, channel-independent) and univariate OT, seeds 1-3; look-back
# 512 (patch 16) multivariate, seed 1 (seeds 2-3 at ETTh1 96 and 192); the patch-16 and highway-off ablations. Each run writes
# runs/longhorizon/NAME.json (the report) and NAME.time (wall and CPU seconds from /usr/bin/time); summarize.py turns them into the tables.
#
#   scripts/longhorizon/run.sh [PARALLEL] [DATA_DIR]      defaults: 2 ../shared/data
#
# Needs a Release build (dotnet build -c Release). On the 2-core development machine the whole set takes about
# 40 CPU-minutes; the runs are niced so that they only use what others leave.
set -euo pipefail
cd "$(dirname "$0")/../.."
parallel="${1:-2}"
data="${2:-../shared/data}"
out=runs/longhorizon
mv="--targets all --protocol ett-long --lr 3e-3 --scheduler cosine --epochs 20 --patience 20"
uni="--target OT --features target --protocol ett-long"
{
  for d in ETTh1 ETTh2; do for h in 96 192 336 720; do
    echo "mv-$d-$h-s1 --csv $data/$d.csv $mv --window 336 --horizon $h --seed 1"
    echo "uni-$d-$h --csv $data/$d.csv $uni --window 336 --horizon $h --seed 1"
  done; done
  for d in ETTh1 ETTh2; do for h in 96 192 336 720; do
    echo "mv-$d-$h-L512-s1 --csv $data/$d.csv $mv --window 512 --horizon $h --seed 1 --patch 16 --baselines naive"
  done; done
  echo "mv-ETTh1-96-p16-s1 --csv $data/ETTh1.csv $mv --window 336 --horizon 96 --seed 1 --patch 16 --baselines naive"
  echo "mv-ETTh1-96-nohw-s1 --csv $data/ETTh1.csv $mv --window 336 --horizon 96 --seed 1 --highway false --baselines naive"
  for s in 2 3; do for h in 96 192; do
    echo "mv-ETTh1-$h-L512-s$s --csv $data/ETTh1.csv $mv --window 512 --horizon $h --seed $s --patch 16 --baselines naive"
  done; done
  for s in 2 3; do for d in ETTh1 ETTh2; do for h in 96 192 336 720; do
    echo "mv-$d-$h-s$s --csv $data/$d.csv $mv --window 336 --horizon $h --seed $s --baselines naive"
    echo "uni-$d-$h-s$s --csv $data/$d.csv $uni --window 336 --horizon $h --seed $s --baselines naive"
  done; done; done
} | scripts/longhorizon/runs.sh "$parallel" "$out"
