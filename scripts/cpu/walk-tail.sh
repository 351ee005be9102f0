#!/usr/bin/env bash
# Tail latency of the alternating walk against the one-way walk and ONNX Runtime: one process per engine and round,
# LSTM I = H, T = 100, batch 1 (benchmarks' `tail` mode), idle and beside a CPU-bound neighbour (`yes > /dev/null`).
# Usage: scripts/cpu/walk-tail.sh [ROUNDS] [RUNS]   (after `dotnet build benchmarks/LstmNative.Benchmarks -c Release`)
set -euo pipefail
rounds=${1:-2}
runs=${2:-1000}
bench="$(dirname "$0")/../../benchmarks/LstmNative.Benchmarks/bin/Release/net10.0/LstmNative.Benchmarks.dll"
one() { # condition H threads engine one-way
    LSTMNATIVE_ONE_WAY=$5 dotnet exec "$bench" tail "$2" "$3" "$runs" "$4" 2 | tail -1 | sed "s/^/$1 one-way=$5 /"
}
for condition in idle neighbour; do
    neighbour=""
    if [ "$condition" = neighbour ]; then yes > /dev/null & neighbour=$!; fi
    for round in $(seq "$rounds"); do
        for h in 256 512; do
            for threads in 1 2; do
                one "$condition" "$h" "$threads" claimed 0
                one "$condition" "$h" "$threads" claimed 1
                one "$condition" "$h" "$threads" ort 0
                one "$condition" "$h" "$threads" int8 0
                one "$condition" "$h" "$threads" ort-int8 0
            done
        done
    done
    if [ -n "$neighbour" ]; then kill "$neighbour"; fi
done
