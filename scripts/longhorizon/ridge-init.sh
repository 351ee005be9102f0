#!/usr/bin/env bash
# The fitted-highway runs of docs/forecasting.md ("Highway fitted by ridge, chosen on validation"): every dataset,
# horizon and setting (multivariate and univariate OT) with --highway-init ridge. Candidates (seed 1): the highway frozen
# at the fit and the LSTM trained on its residual, at look-back 336 and 512 (patch 16), and the highway left trainable
# (look-back 336); the univariate table's training settings (Adam 1e-3, plateau halving, patience 4); per-window scaling
# on ETTh2 only (where the earlier validation table chose it): for every multivariate candidate there, and as two more
# univariate candidates (frozen, 336 and 512, scaled) beside the unscaled ones. Stage 2 runs seeds 2-3 of the candidate each cell's
# validation MSE chose (epoch 0, the fitted linear model alone, included), as scripts/longhorizon/ridge.py lists them.
#
# Stage 4 runs seeds 2-3 of one setting for every cell (ridge.py's FIXED: look-back 512, frozen; univariate trained on
# every column), so it can be reported without a choice per cell. Stage 3 scores, from the checkpoints (no training), each chosen candidate's seeds, their mean forecast (the seed
# ensemble) and each seed's highway alone (the head set to zero: with a frozen highway, exactly the closed-form fit).
#
#   scripts/longhorizon/ridge-init.sh 1|2|3 [PARALLEL] [DATA_DIR]      defaults: 2 ../shared/data
#   ONLY=rg-uni  scripts/longhorizon/ridge-init.sh 1                    stage 1 for the runs whose name matches ONLY
#   RULE=one-se scripts/longhorizon/ridge-init.sh 1|2|3|4                the same with --epoch-choice one-se (runs named se-...,
#                                       the trainable-highway candidate left out); tables: ridge.py runs/longhorizon --rule one-se
#
# Stage 1 is about 30 CPU-minutes on the 2-core development machine, stage 2 about as much; stage 3 needs a Release
# build of the benchmarks (dotnet build benchmarks/LstmNative.Benchmarks -c Release) and takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
stage="$1"
parallel="${2:-2}"
data="${3:-../shared/data}"
out=runs/longhorizon
rule_args=()
prefix=rg
if [ "${RULE:-best}" = one-se ]; then
  rule_args=(--rule one-se)
  prefix=se
fi
if [ "$stage" = 3 ]; then
  bench=benchmarks/LstmNative.Benchmarks/bin/Release/net10.0/LstmNative.Benchmarks.dll
  scripts/longhorizon/ridge.py "$out" --chosen "${rule_args[@]}" | while read -r kind d h window prefix; do
    echo "== $d $kind, horizon $h, look-back $window ($prefix)"
    nice -n 19 dotnet exec "$bench" ettensemble "$data/$d.csv" ett-long "$h" "$([ "$kind" = mv ] && echo all || echo OT)" \
      "$out/$prefix-s1" "$out/$prefix-s2" "$out/$prefix-s3"
  done
  exit
fi
if [ "$stage" = 4 ]; then
  # seeds 2-3 of one setting for every cell (ridge.py's FIXED), whatever validation chose per cell
  scripts/longhorizon/ridge.py "$out" --fixed-next "$data" "${rule_args[@]}" | scripts/longhorizon/runs.sh "$parallel" "$out"
  exit
fi
if [ "$stage" = 2 ]; then
  scripts/longhorizon/ridge.py "$out" --next "$data" "${rule_args[@]}" | scripts/longhorizon/runs.sh "$parallel" "$out"
  exit
fi
{
  for d in ETTh1 ETTh2; do
    scale=""; [ "$d" = ETTh2 ] && scale="--instance-scale"
    for h in 96 192 336 720; do
      mv="--csv $data/$d.csv --targets all --protocol ett-long --baselines naive --highway-init ridge --horizon $h --seed 1 $scale"
      echo "rg-mv-$d-$h-fz-s1 $mv --window 336 --freeze-highway"
      echo "rg-mv-$d-$h-fz512-s1 $mv --window 512 --patch 16 --freeze-highway"
      echo "rg-mv-$d-$h-tr-s1 $mv --window 336"
      uni="--csv $data/$d.csv --target OT --features target --protocol ett-long --baselines naive --highway-init ridge --horizon $h --seed 1"
      echo "rg-uni-$d-$h-fz-s1 $uni --window 336 --freeze-highway"
      echo "rg-uni-$d-$h-fz512-s1 $uni --window 512 --patch 16 --freeze-highway"
      # the same, trained on the windows of all 7 columns (the forecast still sees OT alone; validated and scored on OT)
      echo "rg-uni-$d-$h-pool-s1 $uni --window 336 --freeze-highway --train-columns all"
      echo "rg-uni-$d-$h-pool512-s1 $uni --window 512 --patch 16 --freeze-highway --train-columns all"
      if [ "$d" = ETTh2 ]; then
        echo "rg-uni-$d-$h-fzs-s1 $uni --window 336 --freeze-highway --instance-scale"
        echo "rg-uni-$d-$h-fz512s-s1 $uni --window 512 --patch 16 --freeze-highway --instance-scale"
        echo "rg-uni-$d-$h-pools-s1 $uni --window 336 --freeze-highway --train-columns all --instance-scale"
        echo "rg-uni-$d-$h-pool512s-s1 $uni --window 512 --patch 16 --freeze-highway --train-columns all --instance-scale"
      fi
    done
  done
} | if [ "$prefix" = se ]; then
  # one-se: the rule weighs the trained LSTM against the fit; the trainable-highway candidate (never chosen) is left out
  grep -v -- "-tr-s1 " | sed -e "s/^rg-/se-/" -e "s/\$/ --epoch-choice one-se/"
else
  cat
fi | grep -E -- "${ONLY:-.}" | scripts/longhorizon/runs.sh "$parallel" "$out"
