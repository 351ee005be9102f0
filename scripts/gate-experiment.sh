#!/usr/bin/env bash
# The gate's acceptance experiment (docs/perf-gate.md): runs `lstmnative gate` RUNS times on the unchanged build and
# RUNS times with the test hook LSTMNATIVE_GATE_SLOWDOWN=CASE:FRACTION (that one case does FRACTION more real work),
# alternating the two so that both see the same machine load, all against one baseline. Prints one line per run and a
# summary: how often each kind of run passed, and which cases the failing runs named.
#
#   scripts/gate-experiment.sh [RUNS] [CASE] [FRACTION] [BASELINE]
#   defaults: 20 lstm-h256-b1-t50 0.2 perf/baseline.json; reports go to artifacts/gate-experiment/
#
# Needs a Release build (dotnet build -c Release) and python3 (for reading the JSON reports).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
slow_case="${2:-lstm-h256-b1-t50}"
fraction="${3:-0.2}"
baseline="${4:-perf/baseline.json}"
cli=src/LstmNative.Cli/bin/Release/net10.0/lstmnative.dll
out=artifacts/gate-experiment
[ -f "$cli" ] || { echo "gate-experiment: build first: dotnet build -c Release" >&2; exit 2; }
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.txt

run_gate() { # KIND INDEX [env assignment]
  local kind="$1" i="$2"; shift 2
  local start rc
  start=$(date +%s)
  set +e
  env "$@" dotnet "$cli" gate --baseline "$baseline" --json "$out/$kind-$i.json" > "$out/$kind-$i.txt" 2>&1
  rc=$?
  set -e
  printf '%-9s %2d  exit %d  %4ds  load %s  %s\n' "$kind" "$i" "$rc" "$(( $(date +%s) - start ))" \
    "$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')" "$(grep -E '^(regression|result):' "$out/$kind-$i.txt" | tr '\n' ' ')"
  echo "$rc" > "$out/$kind-$i.rc"
}

for i in $(seq 1 "$runs"); do
  run_gate unchanged "$i" LSTMNATIVE_GATE_EXPERIMENT=1
  run_gate slowed "$i" "LSTMNATIVE_GATE_SLOWDOWN=$slow_case:$fraction"
done

python3 - "$out" "$runs" "$slow_case" <<'PY'
import json, sys, glob, statistics
out, runs, slow_case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for kind in ("unchanged", "slowed"):
    reports = [json.load(open(f"{out}/{kind}-{i}.json")) if glob.glob(f"{out}/{kind}-{i}.json") else None for i in range(1, runs + 1)]
    rcs = [int(open(f"{out}/{kind}-{i}.rc").read()) for i in range(1, runs + 1)]
    named = {}
    for r in reports:
        for c in (r or {}).get("cases", []):
            if c["verdict"] == "regressed":
                named[c["name"]] = named.get(c["name"], 0) + 1
    print(f"{kind:9s}: passed {rcs.count(0)}/{runs}, failed {rcs.count(1)}/{runs}, errors {sum(rc not in (0, 1) for rc in rcs)}; cases named: {named or 'none'}")
    cases = reports[0]["cases"] if reports and reports[0] else []
    for c in cases:
        changes = [100 * next(x for x in r["cases"] if x["name"] == c["name"])["change"] for r in reports if r]
        walls = [100 * next(x for x in r["cases"] if x["name"] == c["name"])["otherClock"]["change"] for r in reports if r and "otherClock" in next(x for x in r["cases"] if x["name"] == c["name"])]
        print(f"   {c['name']:20s} change on thread-cpu: median {statistics.median(changes):+5.1f}%  range [{min(changes):+5.1f}, {max(changes):+5.1f}]"
              + (f"   (wall clock: median {statistics.median(walls):+5.1f}%, range [{min(walls):+5.1f}, {max(walls):+5.1f}], would fail {sum(1 for r in reports if r and next(x for x in r['cases'] if x['name'] == c['name']).get('otherClock', {}).get('verdict') == 'regressed')}/{runs})" if walls else ""))
    times = [r["elapsedSeconds"] for r in reports if r]
    print(f"   measurement time: median {statistics.median(times):.0f} s, max {max(times):.0f} s")
PY
