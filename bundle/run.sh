#!/usr/bin/env bash
# LstmNative GPU bundle runner: runs our GPU checks on a machine that has the NVIDIA driver (and perhaps CUDA
# libraries from NVIDIA's Python wheels) but no .NET. Everything it needs is in this folder; it writes a report.
#
#   bash run.sh [--budget SECONDS] [--out DIR] [--stages 1,2,3,4]
#
#   --budget  wall-clock budget for all steps (default 300); steps that would not fit are reported as skipped
#   --out     folder for report.md, report.json and the logs (default ./gpu-report)
#   --stages  which stages to run (default all): rerun only the one that failed
#
# Always: unpack the .NET runtime and the apps (into the bundle's folder: /tmp may be noexec); find the CUDA
# libraries (every python3 on PATH and under /opt/*/.venv, /opt/*/venv); probe the GPU. Then the stages, each test
# fixture in its own process with its own timeout (a kernel fault poisons its process's context, not the next one):
#   1 smoke (about a minute): driver, memory, kernels, cuBLAS, cuDNN, graphs, error paths
#   2 inference: the GPU engine against the CPU reference; the CLI on every ONNX node case with --device cuda
#   3 training: GPU training tests; 'forecast --device cuda' against the same run on the CPU (test MSE within 1 %)
#   4 benchmarks: our engine against cuDNN (inference suite, DeepBench training rows) and PyTorch's nn.LSTM/nn.GRU
#   5 tuning (only when named in --stages): the persistent kernel's per-step cost for every block split and barrier
# report.json / report.md are rewritten after every step, so a run cut short still reports what finished; the first
# failure is named at the top. Without a GPU the GPU parts are skipped with the probe's reason; but where the machine
# shows a GPU (nvidia-smi lists one, or /dev/nvidia0 exists) and the probe finds none usable, that is a failure.
# Exit code: 0 when no step failed, 1 otherwise, 2 for bad arguments.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUDGET=300
OUT_DIR="$PWD/gpu-report"
STAGES="1,2,3,4"

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) BUDGET="${2:-}"; shift 2 || { usage; exit 2; } ;;
    --budget=*) BUDGET="${1#*=}"; shift ;;
    --out) OUT_DIR="${2:-}"; shift 2 || { usage; exit 2; } ;;
    --out=*) OUT_DIR="${1#*=}"; shift ;;
    --stages) STAGES="${2:-}"; shift 2 || { usage; exit 2; } ;;
    --stages=*) STAGES="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$BUDGET" in ''|*[!0-9]*) echo "run.sh: --budget needs a number of seconds, got '$BUDGET'" >&2; exit 2 ;; esac
case ",$STAGES," in *[!0-9,]*|,,) echo "run.sh: --stages takes a list such as 1,2 (stages 1-5), got '$STAGES'" >&2; exit 2 ;; esac
stage_selected() { case ",$STAGES," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
mkdir -p "$OUT_DIR" && OUT_DIR="$(cd "$OUT_DIR" && pwd)" || { echo "run.sh: cannot create $OUT_DIR" >&2; exit 2; }

START=$(date +%s)
elapsed() { echo $(( $(date +%s) - START )); }
remaining() { echo $(( BUDGET - $(elapsed) )); }
log() { printf '[run.sh %4ss] %s\n' "$(elapsed)" "$*"; }

# Unpack beside the bundle, not in /tmp: a noexec /tmp cannot run the bundled dotnet. Temporary files of the apps go
# there too.
WORK="$(mktemp -d "$HERE/.unpacked.XXXXXX" 2>/dev/null || mktemp -d "${TMPDIR:-/tmp}/lstmnative-bundle.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/tmp" && export TMPDIR="$WORK/tmp"

# --- the report ------------------------------------------------------------------------------------------------
STEP_NAMES=(); STEP_STATUS=(); STEP_SECONDS=(); STEP_DETAIL=()
FIRST_FAILURE=""
record() { # name status seconds detail
  STEP_NAMES+=("$1"); STEP_STATUS+=("$2"); STEP_SECONDS+=("$3"); STEP_DETAIL+=("$4")
  log "$1: $2${4:+ - ${4%%$'\n'*}}"
  if [ "$2" = failed ] && [ -z "$FIRST_FAILURE" ]; then FIRST_FAILURE="$1: ${4%%$'\n'*}"; fi
  write_report >/dev/null 2>&1 || true # a run cut short still leaves a report of what finished
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
PYTHONS=()
NVIDIA_LIB_DIRS=()
RUNTIME_VERSION="unknown"

write_report() {
  local overall=passed i
  for i in "${!STEP_STATUS[@]}"; do [ "${STEP_STATUS[$i]}" = failed ] && overall=failed; done
  {
    printf '{\n'
    printf '  "status": %s,\n' "$(json_str "$overall")"
    printf '  "first_failure": %s,\n' "$(json_str "$FIRST_FAILURE")"
    printf '  "stages": %s,\n' "$(json_str "$STAGES")"
    printf '  "budget_seconds": %s,\n  "elapsed_seconds": %s,\n' "$BUDGET" "$(elapsed)"
    printf '  "bundle": {"commit": %s, "built_utc": %s, "dotnet_runtime": %s, "kernels_embedded": %s},\n' \
      "$(json_str "$(manifest commit)")" "$(json_str "$(manifest built_utc)")" "$(json_str "$RUNTIME_VERSION")" "$(json_str "$(manifest kernels_embedded)")"
    printf '  "host": {"hostname": %s, "kernel": %s, "cpus": %s},\n' \
      "$(json_str "$(hostname 2>/dev/null || echo unknown)")" "$(json_str "$(uname -srm)")" "$(json_str "$(nproc 2>/dev/null || echo '?')")"
    printf '  "gpu": {"available": %s, "reason": %s, "nvidia_smi": %s},\n' "$GPU_AVAILABLE" "$(json_str "$GPU_REASON")" "$(json_str "$NVIDIA_SMI")"
    printf '  "libraries": {"libcuda": %s, "pythons": %s, "site_packages": %s, "nvidia_lib_dirs": %s},\n' \
      "$(json_str "$LIBCUDA")" "$(json_list "${PYTHONS[@]+"${PYTHONS[@]}"}")" "$(json_list "${SITE_PACKAGES[@]+"${SITE_PACKAGES[@]}"}")" "$(json_list "${NVIDIA_LIB_DIRS[@]+"${NVIDIA_LIB_DIRS[@]}"}")"
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
    echo "- status: **$overall** (budget ${BUDGET}s, used $(elapsed)s, stages $STAGES)"
    [ -n "$FIRST_FAILURE" ] && echo "- first failure: **$FIRST_FAILURE**"
    # --device auto keeps the CLI on the CPU until the GPU code as built has passed stages 1-3 on a GPU
    # (DeviceSelection.GpuPathValidated); say when this run is that evidence, so the mark is not forgotten.
    if [ "$overall" = passed ] && [ "$GPU_AVAILABLE" = true ] && stage_selected 1 && stage_selected 2 && stage_selected 3; then
      echo "- stages 1-3 passed on a GPU with bundle commit $(manifest commit): that commit's GPU path may be marked validated (DeviceSelection.GpuPathValidated = true; record the run in docs/gpu.md)"
    fi
    echo "- bundle: commit $(manifest commit), built $(manifest built_utc), .NET runtime $RUNTIME_VERSION, kernels embedded: $(manifest kernels_embedded)"
    echo "- host: $(hostname 2>/dev/null || echo unknown), $(uname -srm), $(nproc 2>/dev/null || echo '?') CPUs"
    echo "- GPU available: **$GPU_AVAILABLE** - $GPU_REASON"
    echo "- nvidia-smi: $NVIDIA_SMI"
    echo "- libcuda: $LIBCUDA"
    echo "- pythons asked: ${PYTHONS[*]:-none}"
    echo "- site-packages searched: ${SITE_PACKAGES[*]:-none}"
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
    for f in "$OUT_DIR"/bench/*/gpu-inference.md "$OUT_DIR"/bench/training.md "$OUT_DIR"/bench/torch-rnn.md "$OUT_DIR"/bench/persistent-sweep.md; do
      [ -f "$f" ] && { echo; cat "$f"; }
    done
    echo
    echo "Logs: tests/<fixture>.log and .trx, cli-parity.log, gpu-forecast.log, cpu-forecast.log, bench.log, bench-training.log, bench-torch.log (those that ran)."
  } > "$OUT_DIR/report.md"
  log "report: $OUT_DIR/report.md, $OUT_DIR/report.json (status $overall)"
  [ "$overall" = passed ]
}

# --- unpack the runtime and the apps ----------------------------------------------------------------------------
# xz may be missing on a bare machine: Python's tarfile reads .tar.xz too.
untar_xz() { # archive folder
  if command -v xz >/dev/null 2>&1 && tar -xJf "$1" -C "$2" 2>/dev/null; then return 0; fi
  local py
  for py in python3 python /opt/*/.venv/bin/python3 /opt/*/venv/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || [ -x "$py" ] || continue
    "$py" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$1" "$2" && return 0
  done
  return 1
}
t0=$(date +%s)
mkdir -p "$WORK/dotnet" "$WORK/apps"
if ! untar_xz "$HERE/dotnet-runtime.tar.xz" "$WORK/dotnet" || ! untar_xz "$HERE/apps.tar.xz" "$WORK/apps"; then
  record unpack failed $(( $(date +%s) - t0 )) "could not unpack dotnet-runtime.tar.xz / apps.tar.xz from $HERE (neither tar+xz nor python's tarfile worked)"
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
record unpack passed $(( $(date +%s) - t0 )) ".NET runtime $RUNTIME_VERSION (bundled; no SDK used), unpacked in $WORK"

# --- find the CUDA libraries ---------------------------------------------------------------------------------------
t0=$(date +%s)
GPU_VISIBLE=false
if command -v nvidia-smi >/dev/null 2>&1; then
  NVIDIA_SMI="$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 | head -8)"
  printf '%s' "$NVIDIA_SMI" | grep -qi 'nvidia\|tesla\|[0-9]\+ MiB' && GPU_VISIBLE=true
fi
[ -e /dev/nvidia0 ] && GPU_VISIBLE=true
LIBCUDA="$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) | awk '/libcuda\.so\.1 / {print $NF; exit}')"
if [ -z "$LIBCUDA" ]; then
  LIBCUDA="not found"
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/wsl/lib; do
    [ -e "$d/libcuda.so.1" ] && { LIBCUDA="$d/libcuda.so.1"; break; }
  done
fi
# Every python: the first python3 on PATH need not be the venv that holds NVIDIA's wheels (GPU images keep PyTorch in
# e.g. /opt/torch/.venv). Their site-packages, plus the venvs' folders read directly (no python needed).
declare -A seen_py=()
while IFS= read -r py; do
  [ -n "$py" ] && [ -x "$py" ] || continue
  real="$(readlink -f "$py")"; [ -n "${seen_py[$real]:-}" ] && continue; seen_py[$real]=1
  PYTHONS+=("$py")
  while IFS= read -r sp; do
    [ -d "$sp" ] && SITE_PACKAGES+=("$sp")
  done < <(timeout 20 "$py" -c 'import site,sys; print("\n".join(site.getsitepackages()+[site.getusersitepackages()]+[p for p in sys.path if p.endswith("-packages")]))' 2>/dev/null)
done < <( { IFS=:; for d in $PATH; do for n in python3 python; do [ -x "$d/$n" ] && echo "$d/$n"; done; done; }; ls -d /opt/*/.venv/bin/python3 /opt/*/venv/bin/python3 2>/dev/null )
for sp in /opt/*/.venv/lib/python3*/site-packages /opt/*/venv/lib/python3*/site-packages; do [ -d "$sp" ] && SITE_PACKAGES+=("$sp"); done
mapfile -t SITE_PACKAGES < <(printf '%s\n' "${SITE_PACKAGES[@]+"${SITE_PACKAGES[@]}"}" | awk 'NF && !seen[$0]++')
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
# The python that imports torch, for the PyTorch anchor.
TORCH_PY=""
for py in "${PYTHONS[@]+"${PYTHONS[@]}"}"; do
  timeout 60 "$py" -c 'import torch' >/dev/null 2>&1 && { TORCH_PY="$py"; break; }
done
found_libs="$(for d in "${NVIDIA_LIB_DIRS[@]+"${NVIDIA_LIB_DIRS[@]}"}"; do ls "$d" 2>/dev/null | grep -E '^lib(cublas|cublasLt|cudnn)\.so\.[0-9]+$'; done | sort -u | tr '\n' ' ')"
record cuda-libraries passed $(( $(date +%s) - t0 )) "libcuda: $LIBCUDA; wheels: ${found_libs:-none}; pythons: ${PYTHONS[*]:-none}; site-packages searched: ${SITE_PACKAGES[*]:-none}; torch: ${TORCH_PY:-none}"

# --- the probe ---------------------------------------------------------------------------------------------------------
TESTS="$WORK/apps/gpu-tests/LstmNative.Gpu.Tests.dll"
trx_counts() { # trx -> "total passed failed skipped"
  local counters total passed failed
  counters="$(grep -o '<Counters [^>]*>' "$1" 2>/dev/null | head -1)"
  attr() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total=$(attr total); passed=$(attr passed)
  failed=$(( $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted) ))
  echo "$total $passed $failed $(( total - passed - failed ))"
}
trx_first_failure() { # trx -> "Test: message" of the first failed test
  python3 - "$1" 2>/dev/null <<'PY' || grep -o 'testName="[^"]*"[^>]*outcome="Failed"' "$1" 2>/dev/null | head -1
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
root = ET.parse(sys.argv[1]).getroot()
for r in root.iter("{%s}UnitTestResult" % ns["t"]):
    if r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted"):
        m = r.find(".//t:Message", ns)
        print(f'{r.get("testName")}: {(m.text or "").strip().splitlines()[0][:300] if m is not None and m.text else r.get("outcome")}')
        break
PY
}
# Runs the tests whose full names contain $2 in a process of its own, with its own timeout. Records step $1.
run_fixture() { # step-name filter timeout-seconds
  local name="$1" filter="$2" limit="$3" t0 code counts total passed failed skipped first
  t0=$(date +%s)
  local left=$(( $(remaining) - 10 ))
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -lt 15 ]; then record "$name" skipped 0 "budget exhausted (${left}s left)"; return; fi
  mkdir -p "$OUT_DIR/tests"
  timeout --kill-after=10 "$limit" "$DOTNET" "$TESTS" --filter "FullyQualifiedName~$filter" \
    --results-directory "$OUT_DIR/tests" --report-trx --report-trx-filename "$name.trx" --output detailed \
    > "$OUT_DIR/tests/$name.log" 2>&1
  code=$?
  read -r total passed failed skipped < <(trx_counts "$OUT_DIR/tests/$name.trx")
  # Exit code 8 is the test platform's "no test ran": every test skipped (no GPU). The counts tell the rest.
  [ "$code" -eq 8 ] && [ "$failed" -eq 0 ] && [ "$total" -gt 0 ] && code=0
  counts="$passed passed, $failed failed, $skipped skipped (of $total)"
  if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then
    record "$name" failed $(( $(date +%s) - t0 )) "timed out after ${limit}s (a hang: see tests/$name.log); $counts"
  elif [ "$failed" -gt 0 ]; then
    first="$(trx_first_failure "$OUT_DIR/tests/$name.trx")"
    record "$name" failed $(( $(date +%s) - t0 )) "$counts; first: ${first:-see tests/$name.log}"
  elif [ "$code" -ne 0 ] || [ "$total" -eq 0 ]; then
    record "$name" failed $(( $(date +%s) - t0 )) "exit code $code; $counts; see tests/$name.log"
  elif [ "$GPU_AVAILABLE" = true ] && [ "$skipped" -gt 0 ]; then
    record "$name" passed $(( $(date +%s) - t0 )) "$counts; skipped: $(grep -o 'Ignored[^\n]*' "$OUT_DIR/tests/$name.log" | head -1)"
  elif [ "$GPU_AVAILABLE" = true ]; then
    record "$name" passed $(( $(date +%s) - t0 )) "$counts"
  else
    record "$name" skipped $(( $(date +%s) - t0 )) "$counts; no usable GPU: $GPU_REASON"
  fi
}

t0=$(date +%s)
export LSTMNATIVE_GPU_PROBE_REPORT="$OUT_DIR/gpu-probe.txt"
rm -f "$OUT_DIR/gpu-probe.txt"
timeout --kill-after=5 60 "$DOTNET" "$TESTS" --filter "FullyQualifiedName~Host.ProbeTests" > "$OUT_DIR/probe.log" 2>&1
if [ -f "$OUT_DIR/gpu-probe.txt" ]; then
  grep -q '^GPU: available' "$OUT_DIR/gpu-probe.txt" && GPU_AVAILABLE=true
  GPU_REASON="$(sed -n 's/^reason: //p' "$OUT_DIR/gpu-probe.txt" | head -1)"
else
  GPU_REASON="the probe wrote no report (see probe.log)"
fi
if [ "$GPU_AVAILABLE" = true ]; then
  record probe passed $(( $(date +%s) - t0 )) "usable GPU: $GPU_REASON"
elif [ "$GPU_VISIBLE" = true ]; then
  # A GPU machine whose probe finds nothing usable must not report its GPU steps as passed.
  record probe failed $(( $(date +%s) - t0 )) "this machine shows a GPU (nvidia-smi: ${NVIDIA_SMI%%$'\n'*}) but the probe found none usable: $GPU_REASON"
else
  record probe skipped $(( $(date +%s) - t0 )) "no GPU on this machine: $GPU_REASON"
fi

# --- stage 1: smoke ------------------------------------------------------------------------------------------------------
if stage_selected 1; then
  for f in DeviceTests MemoryTests KernelTests CublasTests GraphAndEventTests CudnnTests ErrorPathTests; do
    run_fixture "1-$f" "LstmNative.Gpu.Tests.Device.$f." 60
  done
fi

# --- stage 2: inference ----------------------------------------------------------------------------------------------------
CLI="$WORK/apps/cli/lstmnative.dll"
if stage_selected 2; then
  run_fixture "2-GpuInferenceDeviceTests" "LstmNative.Gpu.Tests.Inference.GpuInferenceDeviceTests." 240
  t0=$(date +%s)
  cases=()
  for d in "$HERE"/conformance/onnx-node/*/; do [ -d "$d" ] && cases+=("${d%/}"); done
  if [ ${#cases[@]} -eq 0 ]; then
    record 2-cli-parity skipped 0 "no conformance cases in the bundle (../shared/conformance/onnx-node was absent at build time)"
  elif [ "$GPU_AVAILABLE" != true ]; then
    record 2-cli-parity skipped 0 "no usable GPU: $GPU_REASON"
  else
    ok=0; bad=0; skipped_cases=0; failures=""
    : > "$OUT_DIR/cli-parity.log"
    for c in "${cases[@]}"; do
      left=$(( $(remaining) - 10 ))
      if [ "$left" -lt 10 ]; then skipped_cases=$(( skipped_cases + 1 )); continue; fi
      echo "== $(basename "$c")" >> "$OUT_DIR/cli-parity.log"
      # 'run CASE_DIR --device cuda' runs model.onnx on test_data_set_0 and exits 0 when the outputs match.
      if timeout --kill-after=5 "$(( left < 30 ? left : 30 ))" "$DOTNET" "$CLI" run "$c" --device cuda --output-dir "$WORK/cli-parity/$(basename "$c")" >> "$OUT_DIR/cli-parity.log" 2>&1; then
        ok=$(( ok + 1 ))
      else
        bad=$(( bad + 1 )); failures="$failures $(basename "$c")"
      fi
    done
    detail="$ok passed, $bad failed, $skipped_cases skipped (budget) of ${#cases[@]} ONNX node cases${failures:+; failed:$failures}"
    record 2-cli-parity "$([ $bad -eq 0 ] && echo passed || echo failed)" $(( $(date +%s) - t0 )) "$detail"
  fi
fi

# --- stage 3: training -----------------------------------------------------------------------------------------------------
if stage_selected 3; then
  run_fixture "3-GpuTrainingDeviceTests" "LstmNative.Gpu.Tests.Training.GpuTrainingDeviceTests." 180
  run_fixture "3-GpuForecastTests" "LstmNative.Gpu.Tests.Training.GpuForecastTests." 120
  t0=$(date +%s)
  if [ "$GPU_AVAILABLE" != true ]; then
    record 3-gpu-forecast skipped 0 "no usable GPU: ${GPU_REASON:-unknown}"
  elif [ $(( $(remaining) - 10 )) -lt 60 ]; then
    record 3-gpu-forecast skipped 0 "budget exhausted"
  else
    # The README's main job, short, on the GPU and on this machine's CPU with the same seed: the test MSEs must agree
    # within 1 %.
    args=(forecast --epochs 3 --windows-per-epoch 1024 --seed 1)
    left=$(( $(remaining) - 10 ))
    timeout --kill-after=5 "$(( left < 120 ? left : 120 ))" "$DOTNET" "$CLI" "${args[@]}" --device cuda \
      --output-dir "$OUT_DIR/forecast-gpu" --report "$OUT_DIR/forecast-gpu/report.json" > "$OUT_DIR/gpu-forecast.log" 2>&1
    code=$?
    left=$(( $(remaining) - 10 ))
    cpu_code=skipped
    if [ "$left" -gt 30 ]; then
      timeout --kill-after=5 "$(( left < 150 ? left : 150 ))" "$DOTNET" "$CLI" "${args[@]}" --device cpu \
        --output-dir "$OUT_DIR/forecast-cpu" --report "$OUT_DIR/forecast-cpu/report.json" > "$OUT_DIR/cpu-forecast.log" 2>&1
      cpu_code=$?
    fi
    mse() { grep -o '"mse": *[0-9.eE+-]*' "$1" 2>/dev/null | head -1 | grep -o '[0-9.eE+-]*$'; }
    gpu_mse="$(mse "$OUT_DIR/forecast-gpu/report.json")"; cpu_mse="$(mse "$OUT_DIR/forecast-cpu/report.json")"
    verdict="$(awk -v g="${gpu_mse:-nan}" -v c="${cpu_mse:-nan}" 'BEGIN { if (g == "nan" || c == "nan" || c + 0 == 0) { print "no comparison"; exit } d = (g - c) / c; if (d < 0) d = -d; printf "%s (%.2f %%)", (d <= 0.01 ? "within 1 %" : "DIFFERS by more than 1 %"), 100 * d }')"
    status=passed
    [ $code -ne 0 ] && status=failed
    case "$verdict" in DIFFERS*) status=failed ;; esac
    record 3-gpu-forecast "$status" $(( $(date +%s) - t0 )) "exit code $code (CPU run: $cpu_code); LSTM test MSE GPU ${gpu_mse:-?} vs CPU ${cpu_mse:-?}: $verdict; logs gpu-forecast.log, cpu-forecast.log"
  fi
fi

# --- stage 4: benchmarks ---------------------------------------------------------------------------------------------------
if stage_selected 4; then
  BENCH="$WORK/apps/bench/LstmNative.Gpu.Benchmarks/LstmNative.Gpu.Benchmarks.dll"
  mkdir -p "$OUT_DIR/bench"
  t0=$(date +%s)
  if [ ! -f "$BENCH" ]; then
    record 4-inference-benchmark skipped 0 "the bundle has no LstmNative.Gpu.Benchmarks"
  elif [ "$GPU_AVAILABLE" != true ]; then
    record 4-inference-benchmark skipped 0 "no usable GPU: $GPU_REASON"
  else
    left=$(( $(remaining) - 10 ))
    if [ "$left" -lt 40 ]; then
      record 4-inference-benchmark skipped 0 "budget exhausted (${left}s left)"
    else
      share=$(( left / 3 > 40 ? left / 3 : 40 ))
      # Event-timed: ours (auto/standard/persistent) against cuDNN on the same weights, cross-checked first.
      timeout --kill-after=10 "$share" "$DOTNET" "$BENCH" --filter '*Gpu*' --job short --artifacts "$OUT_DIR/bench/inference" --budget "$(( share - 15 ))" > "$OUT_DIR/bench.log" 2>&1
      code=$?
      record 4-inference-benchmark "$([ $code -eq 0 ] && echo passed || echo failed)" $(( $(date +%s) - t0 )) "exit code $code; table bench/inference/gpu-inference.md, log bench.log"
    fi
  fi
  t0=$(date +%s)
  if [ ! -f "$BENCH" ]; then
    record 4-training-benchmark skipped 0 "the bundle has no LstmNative.Gpu.Benchmarks"
  elif [ "$GPU_AVAILABLE" != true ]; then
    record 4-training-benchmark skipped 0 "no usable GPU: $GPU_REASON"
  else
    left=$(( $(remaining) - 10 ))
    if [ "$left" -lt 40 ]; then
      record 4-training-benchmark skipped 0 "budget exhausted (${left}s left)"
    else
      share=$(( left / 2 > 40 ? left / 2 : 40 ))
      # DeepBench rows, ours vs cuDNN, fp32 and TF32; exit 0 when every cross-check passed.
      timeout --kill-after=10 "$share" "$DOTNET" "$BENCH" training --rows "${LSTMNATIVE_TRAIN_BENCH_ROWS:-quick}" \
        --budget $(( share - 20 )) --out "$OUT_DIR/bench/training.md" > "$OUT_DIR/bench-training.log" 2>&1
      code=$?
      record 4-training-benchmark "$([ $code -eq 0 ] && echo passed || echo failed)" $(( $(date +%s) - t0 )) "exit code $code; table bench/training.md, log bench-training.log"
    fi
  fi
  t0=$(date +%s)
  if [ -z "$TORCH_PY" ]; then
    record 4-pytorch-anchor skipped 0 "no python on this machine imports torch (asked: ${PYTHONS[*]:-none})"
  elif [ "$GPU_AVAILABLE" != true ] && [ "$GPU_VISIBLE" != true ]; then
    record 4-pytorch-anchor skipped 0 "no GPU"
  else
    left=$(( $(remaining) - 5 ))
    if [ "$left" -lt 30 ]; then
      record 4-pytorch-anchor skipped 0 "budget exhausted (${left}s left)"
    else
      PYTHONUNBUFFERED=1 timeout --kill-after=5 "$left" "$TORCH_PY" "$HERE/torch_rnn_bench.py" --out "$OUT_DIR/bench" --budget $(( left - 15 )) > "$OUT_DIR/bench-torch.log" 2>&1
      code=$?
      record 4-pytorch-anchor "$([ $code -eq 0 ] && echo passed || echo failed)" $(( $(date +%s) - t0 )) "exit code $code ($TORCH_PY); table bench/torch-rnn.md"
    fi
  fi
fi

# --- stage 5 (only when asked): tuning experiments ------------------------------------------------------------------------
if stage_selected 5; then
  BENCH="$WORK/apps/bench/LstmNative.Gpu.Benchmarks/LstmNative.Gpu.Benchmarks.dll"
  t0=$(date +%s)
  left=$(( $(remaining) - 10 ))
  if [ "$GPU_AVAILABLE" != true ]; then
    record 5-persistent-sweep skipped 0 "no usable GPU: $GPU_REASON"
  elif [ "$left" -lt 30 ]; then
    record 5-persistent-sweep skipped 0 "budget exhausted (${left}s left)"
  else
    mkdir -p "$OUT_DIR/bench"
    # Every block split and barrier variant of the persistent kernel; the per-step cost against the plan's model.
    timeout --kill-after=10 "$left" "$DOTNET" "$BENCH" persistent-sweep --out "$OUT_DIR/bench/persistent-sweep.md" \
      --budget $(( left - 20 )) --hidden "${LSTMNATIVE_SWEEP_HIDDEN:-256,512,1024}" > "$OUT_DIR/bench-sweep.log" 2>&1
    code=$?
    record 5-persistent-sweep "$([ $code -eq 0 ] && echo passed || echo failed)" $(( $(date +%s) - t0 )) "exit code $code; table bench/persistent-sweep.md"
  fi
fi

write_report
