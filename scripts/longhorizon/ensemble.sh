#!/usr/bin/env bash
# The seed ensembles of docs/forecasting.md ("Long-horizon protocol"): for each dataset, horizon and setting, the mean
# forecast of the seed-1, -2 and -3 models that scripts/longhorizon/run.sh trained (no training here: the checkpoints
# are read back), scored on the same test windows; also the ETTh2 per-window scaling seeds of instance-scale.sh when
# present. Prints each member's score and the ensemble's.
#
#   scripts/longhorizon/ensemble.sh [RUN_DIR] [DATA_DIR]      defaults: runs/longhorizon ../shared/data
#
# Needs a Release build of the benchmarks (dotnet build benchmarks/LstmNative.Benchmarks -c Release).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-runs/longhorizon}"
data="${2:-../shared/data}"
bench=benchmarks/LstmNative.Benchmarks/bin/Release/net10.0/LstmNative.Benchmarks.dll
[ -f "$bench" ] || { echo "ensemble: build first: dotnet build benchmarks/LstmNative.Benchmarks -c Release" >&2; exit 2; }
for d in ETTh1 ETTh2; do
  for h in 96 192 336 720; do
    echo "== $d multivariate, horizon $h"
    nice -n 19 dotnet exec "$bench" ettensemble "$data/$d.csv" ett-long "$h" all "$runs/mv-$d-$h-s1" "$runs/mv-$d-$h-s2" "$runs/mv-$d-$h-s3"
    echo "== $d univariate OT, horizon $h"
    nice -n 19 dotnet exec "$bench" ettensemble "$data/$d.csv" ett-long "$h" OT "$runs/uni-$d-$h" "$runs/uni-$d-$h-s2" "$runs/uni-$d-$h-s3"
  done
done
for h in 96 192; do   # look-back 512 where seeds 2-3 were run (ETTh1 96 and 192)
  echo "== ETTh1 multivariate, look-back 512, horizon $h"
  nice -n 19 dotnet exec "$bench" ettensemble "$data/ETTh1.csv" ett-long "$h" all "$runs/mv-ETTh1-$h-L512-s1" "$runs/mv-ETTh1-$h-L512-s2" "$runs/mv-ETTh1-$h-L512-s3"
done
for h in 96 192 336 720; do   # ETTh2 with per-window scaling (scripts/longhorizon/instance-scale.sh), where its seeds were run
  [ -d "$runs/mv-ETTh2-$h-rv-s3" ] || continue
  echo "== ETTh2 multivariate, --instance-scale, horizon $h"
  nice -n 19 dotnet exec "$bench" ettensemble "$data/ETTh2.csv" ett-long "$h" all "$runs/mv-ETTh2-$h-rv-s1" "$runs/mv-ETTh2-$h-rv-s2" "$runs/mv-ETTh2-$h-rv-s3"
done
for h in 96 192 336 720; do   # the same with look-back 512
  [ -d "$runs/mv-ETTh2-$h-rv-L512-s3" ] || continue
  echo "== ETTh2 multivariate, --instance-scale, look-back 512, horizon $h"
  nice -n 19 dotnet exec "$bench" ettensemble "$data/ETTh2.csv" ett-long "$h" all "$runs/mv-ETTh2-$h-rv-L512-s1" "$runs/mv-ETTh2-$h-rv-L512-s2" "$runs/mv-ETTh2-$h-rv-L512-s3"
done
