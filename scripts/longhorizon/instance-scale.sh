#!/usr/bin/env bash
# The per-window scaling runs of docs/forecasting.md ("Per-window scaling (RevIN), chosen on validation"): multivariate,
# each horizon with four candidate settings (seed 1): the long-horizon table's (Adam 3e-3, cosine, 20 epochs) and the
# univariate table's defaults (Adam 1e-3, plateau halving, patience 4), each without and with --instance-scale (the
# defaults with it on ETTh2 only), seeds 2-3 with it on ETTh2, look-back 512 with it on ETTh2, and the ETTh1 horizon-96 ablation rows again
# (their validation scores, which the first ablation did not keep). Same runner (runs.sh) and file layout as run.sh; the
# choice is made by scripts/longhorizon/validation.py on the validation MSE only.
#
#   scripts/longhorizon/instance-scale.sh [PARALLEL] [DATA_DIR]      defaults: 2 ../shared/data
#
# About 60 CPU-minutes on the 2-core development machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
parallel="${1:-2}"
data="${2:-../shared/data}"
out=runs/longhorizon
mv="--targets all --protocol ett-long --lr 3e-3 --scheduler cosine --epochs 20 --patience 20 --baselines naive"
ablation="--targets all --protocol ett-long --window 336 --horizon 96 --seed 1 --baselines naive"
defaults="--targets all --protocol ett-long --baselines naive"   # the univariate table's training settings
uni="--target OT --features target --protocol ett-long --baselines naive"
{
  for d in ETTh1 ETTh2; do for h in 96 192 336 720; do
    echo "mv-$d-$h-base-s1 --csv $data/$d.csv $mv --window 336 --horizon $h --seed 1"
    echo "mv-$d-$h-rv-s1 --csv $data/$d.csv $mv --window 336 --horizon $h --seed 1 --instance-scale"
    echo "mv-$d-$h-def-s1 --csv $data/$d.csv $defaults --window 336 --horizon $h --seed 1"
  done; done
  for h in 96 192 336 720; do
    echo "mv-ETTh2-$h-def-rv-s1 --csv $data/ETTh2.csv $defaults --window 336 --horizon $h --seed 1 --instance-scale"
  done
  for d in ETTh1 ETTh2; do for h in 96 192 336 720; do   # univariate OT, the univariate table's settings
    echo "uni-$d-$h-base-s1 --csv $data/$d.csv $uni --window 336 --horizon $h --seed 1"
    echo "uni-$d-$h-rv-s1 --csv $data/$d.csv $uni --window 336 --horizon $h --seed 1 --instance-scale"
  done; done
  for s in 2 3; do for h in 96 192 336 720; do
    echo "mv-ETTh2-$h-rv-s$s --csv $data/ETTh2.csv $mv --window 336 --horizon $h --seed $s --instance-scale"
  done; done
  for s in 2 3; do for h in 96 192 336; do
    echo "mv-ETTh2-$h-rv-L512-s$s --csv $data/ETTh2.csv $mv --window 512 --patch 16 --horizon $h --seed $s --instance-scale"
  done; done
  for s in 2 3; do   # seeds 2-3 of the candidates the validation MSE chose (validation.py), where the above lacks them
    for h in 96 336 720; do echo "mv-ETTh1-$h-def-s$s --csv $data/ETTh1.csv $defaults --window 336 --horizon $h --seed $s"; done
    echo "mv-ETTh1-192-base-s$s --csv $data/ETTh1.csv $mv --window 336 --horizon 192 --seed $s"
    for h in 96 336; do echo "mv-ETTh2-$h-def-rv-s$s --csv $data/ETTh2.csv $defaults --window 336 --horizon $h --seed $s --instance-scale"; done
  done
  for h in 96 192 336 720; do
    echo "mv-ETTh2-$h-rv-L512-s1 --csv $data/ETTh2.csv $mv --window 512 --patch 16 --horizon $h --seed 1 --instance-scale"
  done
  echo "abl-lr3e3 --csv $data/ETTh1.csv $ablation --lr 3e-3"
  echo "abl-w8k --csv $data/ETTh1.csv $ablation --windows-per-epoch 8192 --epochs 10"
  echo "abl-lr3e3-w4k-e30 --csv $data/ETTh1.csv $ablation --lr 3e-3 --windows-per-epoch 4096 --epochs 30"
  echo "abl-rv-w8k --csv $data/ETTh2.csv $mv --window 336 --horizon 96 --seed 1 --instance-scale --windows-per-epoch 8192"
  echo "abl-h2-rv-h128 --csv $data/ETTh2.csv $mv --window 336 --horizon 96 --seed 1 --instance-scale --hidden 128"
  echo "abl-h2-rv-drop --csv $data/ETTh2.csv $mv --window 336 --horizon 96 --seed 1 --instance-scale --dropout 0.2"
} | scripts/longhorizon/runs.sh "$parallel" "$out"
