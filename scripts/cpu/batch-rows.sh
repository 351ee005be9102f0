#!/usr/bin/env bash
# Batched float32 rows against ONNX Runtime, each engine in its own process (ORT's spinning pool threads distort
# in-process two-thread comparisons), the two alternating: LSTM, T = 100, I = H, batch B, 1 and 2 threads.
# Prints one line per process (the tail mode's min / p50 / p90 / p99 ms) and, per row and round, ours / ORT at p50.
# Usage: scripts/cpu/batch-rows.sh [ROUNDS] [RUNS]   (after: dotnet build benchmarks/LstmNative.Benchmarks -c Release)
set -euo pipefail
rounds=${1:-2}
runs=${2:-60}
cd "$(dirname "$0")/../../benchmarks/LstmNative.Benchmarks/bin/Release/net10.0"
for round in $(seq 1 "$rounds"); do
  for h in 256 512; do
    for b in 4 16 64; do
      for t in 1 2; do
        ort=$(LSTMNATIVE_TAIL_BATCH=$b dotnet LstmNative.Benchmarks.dll tail "$h" "$t" "$runs" ort 1 | tail -1)
        ours=$(LSTMNATIVE_TAIL_BATCH=$b dotnet LstmNative.Benchmarks.dll tail "$h" "$t" "$runs" claimed 1 | tail -1)
        p50() { sed 's/.*p50 \([0-9.]*\).*/\1/' <<<"$1"; }
        echo "round $round H=$h B=$b threads=$t: ORT p50 $(p50 "$ort") ms, ours p50 $(p50 "$ours") ms, ours / ORT $(python3 -c "print(f'{$(p50 "$ours")/$(p50 "$ort"):.2f}')")"
      done
    done
  done
done
