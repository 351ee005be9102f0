#!/usr/bin/env bash
# LstmNative GPU bundle runner: runs our GPU checks on a machine that has the NVIDIA driver (and perhaps CUDA
# libraries from NVIDIA's Python wheels) but no .NET. Everything it needs is in this folder; it writes a report.
#
#   bash run.sh [--budget SECONDS] [--out DIR]
#
#   --budget  wall-clock budget for all steps (default 300); steps that would not fit are reported as skipped
#   --out     folder for report.md, report.json and the logs (default ./gpu-report)
#
# Steps: unpack the .NET runtime and the apps; find the CUDA libraries; run the GPU tests; run the CLI's GPU parity
# checks on the ONNX node tests (when the CLI has 'run --device cuda'); run short GPU benchmarks (when the bundle has
# them: BenchmarkDotNet '*Gpu*', then the training harness against cuDNN). Without a GPU the GPU parts are reported
# as skipped, with the reason. Exit code: 0 when no step failed, 1 otherwise, 2 for bad arguments.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUDGET=300
OUT_DIR="$PWD/gpu-report"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) BUDGET="${2:-}"; shift 2 || { usage; exit 2; } ;;
    --budget=*) BUDGET="${1#*=}"; shift ;;
    --out) OUT_DIR="${2:-}"; shift 2 || { usage; exit 2; } ;;
    --out=*) OUT_DIR="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$BUDGET" in ''|*[!0-9]*) echo "run.sh: --budget needs a number of seconds, got '$BUDGET'" >&2; exit 2 ;; esac
mkdir -p "$OUT_DIR" && OUT_DIR="$(cd "$OUT_DIR" && pwd)" || { echo "run.sh: cannot create $OUT_DIR" >&2; exit 2; }

START=$(date +%s)
elapsed() { echo $(( $(date +%s) - START )); }
remaining() { echo $(( BUDGET - $(elapsed) )); }
log() { printf '[run.sh %4ss] %s\n' "$(elapsed)" "$*"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/lstmnative-bundle.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# --- the report ------------------------------------------------------------------------------------------------
STEP_NAMES=(); STEP_STATUS=(); STEP_SECONDS=(); STEP_DETAIL=()
record() { # name status seconds detail
  STEP_NAMES+=("$1"); STEP_STATUS+=("$2"); STEP_SECONDS+=("$3"); STEP_DETAIL+=("$4")
  log "$1: $2${4:+ - ${4%%$'\n'*}}"
}

json_str() {
  local s
  s="$(printf '%s' "$1" | tr -d '\000-\010\013\014\016-\037')"
  s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\n'/\\n}"; s="${s//$'\r'/\\r}"; s="${s//$'\t'/\\t}"
  printf '"%s"' "$s"
}

json_list() { # items...
  local first=1 item
  printf '['
  for item in "$@"; do
    [ $first -eq 1 ] || printf ', '
    first=0
    json_str "$item"
  done
  printf ']'
}

manifest() { sed -n "s/^$1=//p" "$HERE/MANIFEST.txt" 2>/dev/null | head -1; }

GPU_AVAILABLE=false
GPU_REASON="not probed"
NVIDIA_SMI="nvidia-smi not found"
LIBCUDA="not found"
SITE_PACKAGES=()
NVIDIA_LIB_DIRS=()
RUNTIME_VERSION="unknown"

write_report() {
  local overall=passed i
  for i in "${!STEP_STATUS[@]}"; do [ "${STEP_STATUS[$i]}" = failed ] && overall=failed; done
  {
    printf '{\n'
    printf '  "status": %s,\n' "$(json_str "$overall")"
    printf '  "budget_seconds": %s,\n  "elapsed_seconds": %s,\n' "$BUDGET" "$(elapsed)"
    printf '  "bundle": {"commit": %s, "built_utc": %s, "dotnet_runtime": %s, "kernels_embedded": %s},\n' \
      "$(json_str "$(manifest commit)")" "$(json_str "$(manifest built_utc)")" "$(json_str "$RUNTIME_VERSION")" "$(json_str "$(manifest kernels_embedded)")"
    printf '  "host": {"hostname": %s, "kernel": %s, "cpus": %s},\n' \
      "$(json_str "$(hostname 2>/dev/null || echo unknown)")" "$(json_str "$(uname -srm)")" "$(json_str "$(nproc 2>/dev/null || echo '?')")"
    printf '  "gpu": {"available": %s, "reason": %s, "nvidia_smi": %s},\n' "$GPU_AVAILABLE" "$(json_str "$GPU_REASON")" "$(json_str "$NVIDIA_SMI")"
    printf '  "libraries": {"libcuda": %s, "site_packages": %s, "nvidia_lib_dirs": %s},\n' \
      "$(json_str "$LIBCUDA")" "$(json_list "${SITE_PACKAGES[@]+"${SITE_PACKAGES[@]}"}")" "$(json_list "${NVIDIA_LIB_DIRS[@]+"${NVIDIA_LIB_DIRS[@]}"}")"
    printf '  "steps": [\n'
    for i in "${!STEP_NAMES[@]}"; do
      printf '    {"name": %s, "status": %s, "seconds": %s, "detail": %s}%s\n' \
        "$(json_str "${STEP_NAMES[$i]}")" "$(json_str "${STEP_STATUS[$i]}")" "${STEP_SECONDS[$i]}" "$(json_str "${STEP_DETAIL[$i]}")" \
        "$([ "$i" -lt $(( ${#STEP_NAMES[@]} - 1 )) ] && echo ,)"
    done
    printf '  ]\n}\n'
  } > "$OUT_DIR/report.json"
  {
    echo "# LstmNative GPU bundle report"
    echo
    echo "- status: **$overall** (budget ${BUDGET}s, used $(elapsed)s)"
    echo "- bundle: commit $(manifest commit), built $(manifest built_utc), .NET runtime $RUNTIME_VERSION, kernels embedded: $(manifest kernels_embedded)"
    echo "- host: $(hostname 2>/dev/null || echo unknown), $(uname -srm), $(nproc 2>/dev/null || echo '?') CPUs"
    echo "- GPU available: **$GPU_AVAILABLE** - $GPU_REASON"
    echo "- nvidia-smi: $NVIDIA_SMI"
    echo "- libcuda: $LIBCUDA"
    echo "- NVIDIA wheel library folders: ${NVIDIA_LIB_DIRS[*]:-none}"
    echo
    echo "| step | status | seconds | detail |"
    echo "|---|---|---|---|"
    for i in "${!STEP_NAMES[@]}"; do
      local detail="${STEP_DETAIL[$i]//$'\n'/<br>}"
      echo "| ${STEP_NAMES[$i]} | ${STEP_STATUS[$i]} | ${STEP_SECONDS[$i]} | ${detail//|/\\|} |"
    done
    if [ -f "$OUT_DIR/gpu-probe.txt" ]; then
      echo; echo "## GPU probe"; echo; echo '```'; cat "$OUT_DIR/gpu-probe.txt"; echo '```'
    fi
    for f in "$OUT_DIR"/bench/*/gpu-inference.md; do
      [ -f "$f" ] && { echo; cat "$f"; }
    done
    echo
    echo "Logs: gpu-tests.log, gpu-tests/*.trx, cli-parity.log, bench.log, bench-training.log (those that ran)."
  } > "$OUT_DIR/report.md"
  log "report: $OUT_DIR/report.md, $OUT_DIR/report.json (status $overall)"
  [ "$overall" = passed ]
}

# --- 1. unpack the runtime and the apps --------------------------------------------------------------------------
t0=$(date +%s)
mkdir -p "$WORK/dotnet" "$WORK/apps"
if ! tar -xJf "$HERE/dotnet-runtime.tar.xz" -C "$WORK/dotnet" || ! tar -xJf "$HERE/apps.tar.xz" -C "$WORK/apps"; then
  record unpack failed $(( $(date +%s) - t0 )) "could not unpack dotnet-runtime.tar.xz / apps.tar.xz from $HERE"
  write_report; exit 1
fi
DOTNET="$WORK/dotnet/dotnet"
# Only the bundled runtime: never an SDK or runtime that happens to be installed.
export DOTNET_ROOT="$WORK/dotnet" DOTNET_MULTILEVEL_LOOKUP=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
unset DOTNET_ROOT_X64 DOTNET_ROOT_ARM64 2>/dev/null || true
RUNTIME_VERSION="$("$DOTNET" --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ {print $2}' | tail -1)"
if [ -z "$RUNTIME_VERSION" ]; then
  record unpack failed $(( $(date +%s) - t0 )) "the bundled dotnet host does not run: $("$DOTNET" --info 2>&1 | head -3)"
  write_report; exit 1
fi
record unpack passed $(( $(date +%s) - t0 )) ".NET runtime $RUNTIME_VERSION (bundled; no SDK used)"

# --- 2. find the CUDA libraries --------------------------------------------------------------------------------------
t0=$(date +%s)
if command -v nvidia-smi >/dev/null 2>&1; then
  NVIDIA_SMI="$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 | head -8)"
fi
LIBCUDA="$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) | awk '/libcuda\.so\.1 / {print $NF; exit}')"
if [ -z "$LIBCUDA" ]; then
  LIBCUDA="not found"
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/lib/wsl/lib; do
    [ -e "$d/libcuda.so.1" ] && { LIBCUDA="$d/libcuda.so.1"; break; }
  done
fi
for py in python3 python; do
  command -v "$py" >/dev/null 2>&1 || continue
  while IFS= read -r sp; do
    [ -d "$sp" ] && SITE_PACKAGES+=("$sp")
  done < <(timeout 20 "$py" -c 'import site,sys; print("\n".join(site.getsitepackages()+[site.getusersitepackages()]+[p for p in sys.path if p.endswith("-packages")]))' 2>/dev/null | sort -u)
  break
done
for sp in "${SITE_PACKAGES[@]+"${SITE_PACKAGES[@]}"}"; do
  for d in "$sp"/nvidia/*/lib; do
    [ -d "$d" ] && NVIDIA_LIB_DIRS+=("$d")
  done
done
join_colon() { local IFS=:; echo "$*"; }
if [ ${#SITE_PACKAGES[@]} -gt 0 ]; then
  export LSTMNATIVE_PYTHON_SITE_PACKAGES="$(join_colon "${SITE_PACKAGES[@]}")"
fi
if [ ${#NVIDIA_LIB_DIRS[@]} -gt 0 ]; then
  # The resolver searches these first; LD_LIBRARY_PATH lets cuDNN's shim find its sub-libraries and nvrtc.
  export LSTMNATIVE_CUDA_LIBRARY_PATH="$(join_colon "${NVIDIA_LIB_DIRS[@]}")"
  export LD_LIBRARY_PATH="$LSTMNATIVE_CUDA_LIBRARY_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
found_libs="$(for d in "${NVIDIA_LIB_DIRS[@]+"${NVIDIA_LIB_DIRS[@]}"}"; do ls "$d" 2>/dev/null | grep -E '^lib(cublas|cublasLt|cudnn)\.so\.[0-9]+$'; done | sort -u | tr '\n' ' ')"
record cuda-libraries passed $(( $(date +%s) - t0 )) "libcuda: $LIBCUDA; wheels: ${found_libs:-none}; site-packages: ${#SITE_PACKAGES[@]}"

# --- 3. GPU tests ------------------------------------------------------------------------------------------------------
trx_counts() { # trx -> "total passed failed skipped"
  local counters total passed failed
  counters="$(grep -o '<Counters [^>]*>' "$1" 2>/dev/null | head -1)"
  attr() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total=$(attr total); passed=$(attr passed)
  failed=$(( $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted) ))
  echo "$total $passed $failed $(( total - passed - failed ))"
}

t0=$(date +%s)
left=$(( $(remaining) - 10 ))
if [ "$left" -lt 20 ]; then
  record gpu-tests skipped 0 "budget exhausted (${left}s left)"
else
  export LSTMNATIVE_GPU_PROBE_REPORT="$OUT_DIR/gpu-probe.txt"
  timeout --kill-after=10 "$left" "$DOTNET" "$WORK/apps/gpu-tests/LstmNative.Gpu.Tests.dll" \
    --results-directory "$OUT_DIR/gpu-tests" --report-trx --report-trx-filename gpu-tests.trx --output detailed \
    > "$OUT_DIR/gpu-tests.log" 2>&1
  code=$?
  if [ -f "$OUT_DIR/gpu-probe.txt" ]; then
    grep -q '^GPU: available' "$OUT_DIR/gpu-probe.txt" && GPU_AVAILABLE=true
    GPU_REASON="$(sed -n 's/^reason: //p' "$OUT_DIR/gpu-probe.txt" | head -1)"
  fi
  read -r total passed failed skipped < <(trx_counts "$OUT_DIR/gpu-tests/gpu-tests.trx")
  counts="$passed passed, $failed failed, $skipped skipped (of $total)"
  if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then
    record gpu-tests failed $(( $(date +%s) - t0 )) "timed out after ${left}s; $counts"
  elif [ "$code" -ne 0 ] || [ "$failed" -gt 0 ] || [ "$total" -eq 0 ]; then
    record gpu-tests failed $(( $(date +%s) - t0 )) "exit code $code; $counts; see gpu-tests.log"
  elif [ "$GPU_AVAILABLE" = true ]; then
    record gpu-tests passed $(( $(date +%s) - t0 )) "$counts"
  else
    record gpu-tests passed $(( $(date +%s) - t0 )) "$counts; the [Gpu] tests were skipped: $GPU_REASON"
  fi
fi

# --- 4. CLI GPU parity on the ONNX node tests ------------------------------------------------------------------------
t0=$(date +%s)
CLI="$WORK/apps/cli/lstmnative.dll"
cases=()
for d in "$HERE"/conformance/onnx-node/*/; do [ -d "$d" ] && cases+=("${d%/}"); done
cli_help="$(timeout 30 "$DOTNET" "$CLI" run --help 2>&1; timeout 30 "$DOTNET" "$CLI" --help 2>&1)"
if ! printf '%s' "$cli_help" | grep -q -- '--device' || ! printf '%s' "$cli_help" | grep -qi 'cuda'; then
  record cli-parity skipped $(( $(date +%s) - t0 )) "the CLI has no 'lstmnative run ... --device cuda' yet ('lstmnative run --help' does not offer --device cuda); ${#cases[@]} ONNX node cases are bundled for it"
elif [ ${#cases[@]} -eq 0 ]; then
  record cli-parity skipped $(( $(date +%s) - t0 )) "no conformance cases in the bundle (../shared/conformance/onnx-node was absent at build time)"
elif [ "$GPU_AVAILABLE" != true ]; then
  record cli-parity skipped $(( $(date +%s) - t0 )) "no usable GPU: $GPU_REASON"
else
  ok=0; bad=0; skipped_cases=0; failures=""
  : > "$OUT_DIR/cli-parity.log"
  for c in "${cases[@]}"; do
    left=$(( $(remaining) - 10 ))
    if [ "$left" -lt 10 ]; then skipped_cases=$(( skipped_cases + 1 )); continue; fi
    echo "== $(basename "$c")" >> "$OUT_DIR/cli-parity.log"
    # Contract: 'run CASE_DIR --device cuda --output-dir DIR' runs model.onnx on test_data_set_0, writes the outputs to DIR
    # and exits 0 when they match the expected ones.
    if timeout --kill-after=5 "$(( left < 60 ? left : 60 ))" "$DOTNET" "$CLI" run "$c" --device cuda --output-dir "$OUT_DIR/cli-parity/$(basename "$c")" >> "$OUT_DIR/cli-parity.log" 2>&1; then
      ok=$(( ok + 1 ))
    else
      bad=$(( bad + 1 )); failures="$failures $(basename "$c")"
    fi
  done
  detail="$ok passed, $bad failed, $skipped_cases skipped (budget) of ${#cases[@]} ONNX node cases${failures:+; failed:$failures}"
  record cli-parity "$([ $bad -eq 0 ] && echo passed || echo failed)" $(( $(date +%s) - t0 )) "$detail"
fi

# --- 4b. the forecasting job trained on the GPU (the README's main job, short) -----------------------------------------
t0=$(date +%s)
if [ "$GPU_AVAILABLE" != true ]; then
  record gpu-forecast skipped 0 "no usable GPU: ${GPU_REASON:-unknown}"
elif [ $(( $(remaining) - 10 )) -lt 60 ]; then
  record gpu-forecast skipped 0 "budget exhausted"
else
  left=$(( $(remaining) - 10 ))
  timeout --kill-after=5 "$(( left < 120 ? left : 120 ))" "$DOTNET" "$CLI" forecast --device cuda --epochs 3 --windows-per-epoch 1024 \
    --output-dir "$OUT_DIR/forecast" --report "$OUT_DIR/forecast/report.json" > "$OUT_DIR/gpu-forecast.log" 2>&1
  code=$?
  mse="$(grep -o '"mse": *[0-9.eE+-]*' "$OUT_DIR/forecast/report.json" 2>/dev/null | head -1 | grep -o '[0-9.eE+-]*$')"
  record gpu-forecast "$([ $code -eq 0 ] && echo passed || echo failed)" $(( $(date +%s) - t0 )) "exit code $code; LSTM test MSE ${mse:-?}; log gpu-forecast.log"
fi

# --- 5. short GPU benchmark ----------------------------------------------------------------------------------------
t0=$(date +%s)
benches=()
for d in "$WORK"/apps/bench/*/; do [ -d "$d" ] && benches+=("${d%/}"); done
if [ ${#benches[@]} -eq 0 ]; then
  record benchmark skipped 0 "no benchmarks in this bundle (the repository has no benchmarks/*/*.csproj yet)"
elif [ "$GPU_AVAILABLE" != true ]; then
  record benchmark skipped 0 "no usable GPU: $GPU_REASON"
else
  left=$(( $(remaining) - 10 ))
  if [ "$left" -lt 30 ]; then
    record benchmark skipped 0 "budget exhausted (${left}s left)"
  else
    : > "$OUT_DIR/bench.log"
    status=passed
    for b in "${benches[@]}"; do
      name="$(basename "$b")"
      left=$(( $(remaining) - 10 ))
      [ "$left" -lt 30 ] && break
      # Contract: the benchmark project's GPU benchmarks have 'Gpu' in their names.
      timeout --kill-after=10 "$left" "$DOTNET" "$b/$name.dll" --filter '*Gpu*' --job short --artifacts "$OUT_DIR/bench/$name" --budget "$(( left - 20 ))" >> "$OUT_DIR/bench.log" 2>&1 || status=failed
    done
    record benchmark "$status" $(( $(date +%s) - t0 )) "${#benches[@]} benchmark project(s); results under bench/, log bench.log"
  fi
fi

# --- 6. GPU training benchmark (DeepBench rows, ours vs cuDNN, cross-checked first) ---------------------------------
t0=$(date +%s)
TRAIN_BENCH="$WORK/apps/bench/LstmNative.Gpu.Benchmarks/LstmNative.Gpu.Benchmarks.dll"
if [ ! -f "$TRAIN_BENCH" ]; then
  record training-benchmark skipped 0 "the bundle has no LstmNative.Gpu.Benchmarks"
elif [ "$GPU_AVAILABLE" != true ]; then
  record training-benchmark skipped 0 "no usable GPU: $GPU_REASON"
else
  left=$(( $(remaining) - 15 ))
  if [ "$left" -lt 30 ]; then
    record training-benchmark skipped 0 "budget exhausted (${left}s left)"
  else
    mkdir -p "$OUT_DIR/bench"
    # Contract: 'training' runs the CUDA-event-timed harness; exit 0 when every cross-check against cuDNN passed.
    timeout --kill-after=10 "$left" "$DOTNET" "$TRAIN_BENCH" training --rows "${LSTMNATIVE_TRAIN_BENCH_ROWS:-quick}" \
      --budget $(( left > 40 ? left - 30 : 10 )) --out "$OUT_DIR/bench/training.md" > "$OUT_DIR/bench-training.log" 2>&1
    code=$?
    record training-benchmark "$([ $code -eq 0 ] && echo passed || echo failed)" $(( $(date +%s) - t0 )) "exit code $code; table bench/training.md, log bench-training.log"
  fi
fi

write_report
