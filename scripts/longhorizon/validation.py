#!/usr/bin/env python3
"""The per-window scaling table of docs/forecasting.md: validation and test MSE of each setting, the choice made on
the validation MSE alone, and the seed mean of what was chosen (runs of scripts/longhorizon/instance-scale.sh).

    scripts/longhorizon/validation.py [RUN_DIR]      default: runs/longhorizon

The validation MSE is the best epoch's (the weights the run restores and tests); the test MSE is read only after the
choice, to report it.
"""
import statistics, sys

import cells
import runreport

runs = sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon"
HORIZONS = cells.HORIZONS
PATCHTST64 = {d: [mse for mse, _ in cells.PATCHTST64[("mv", d)]] for d in ["ETTh1", "ETTh2"]}


def load(name):
    return runreport.load(runs, name)


def cell(r):
    return "–" if r is None else f"{r['val']:.4f} \\| {r['mse']:.4f} / {r['mae']:.4f}"


CANDIDATES = [("base", "3e-3 cosine"), ("rv", "3e-3 cosine + scale"), ("def", "defaults"), ("def-rv", "defaults + scale"),
              ("rv-L512", "3e-3 cosine + scale, look-back 512")]
print("| dataset | horizon | " + " | ".join(f"{label}: validation \\| test" for _, label in CANDIDATES) +
      " | chosen on validation | chosen, mean ± sd over seeds (test MSE / MAE) | PatchTST/64 |")
print("|---|---:|" + "---|" * len(CANDIDATES) + "---|---|---|")
for d in ["ETTh1", "ETTh2"]:
    for i, h in enumerate(HORIZONS):
        runs1 = {tag: load(f"mv-{d}-{h}-{tag}-s1") for tag, _ in CANDIDATES}
        present = {tag: r for tag, r in runs1.items() if r is not None}
        if not present:
            continue
        tag = min(present, key=lambda t: present[t]["val"])
        label = dict(CANDIDATES)[tag]
        seeds = [r for r in (load(f"mv-{d}-{h}-{tag}-s{s}") for s in (1, 2, 3)) if r is not None]
        mse = [r["mse"] for r in seeds]
        mae = [r["mae"] for r in seeds]
        spread = (f"{statistics.mean(mse):.4f} ± {statistics.stdev(mse):.4f} / {statistics.mean(mae):.4f} ± {statistics.stdev(mae):.4f} (n={len(seeds)})"
                  if len(seeds) > 1 else f"{mse[0]:.4f} / {mae[0]:.4f} (n=1)")
        cells = " | ".join("–" if runs1[t] is None else f"{runs1[t]['val']:.4f} \\| {runs1[t]['mse']:.4f}" for t, _ in CANDIDATES)
        print(f"| {d} | {h} | {cells} | {label} | {spread} | {PATCHTST64[d][i]:.3f} |")

print()
print("| dataset (univariate OT) | horizon | without: validation \\| test MSE / MAE | with --instance-scale: validation \\| test MSE / MAE | chosen on validation | PatchTST/64 |")
print("|---|---:|---|---|---|---|")
UNIVARIATE64 = {d: [mse for mse, _ in cells.PATCHTST64[("uni", d)]] for d in ["ETTh1", "ETTh2"]}
for d in ["ETTh1", "ETTh2"]:
    for i, h in enumerate(HORIZONS):
        off, on = load(f"uni-{d}-{h}-base-s1"), load(f"uni-{d}-{h}-rv-s1")
        if off is None or on is None:
            continue
        print(f"| {d} | {h} | {cell(off)} | {cell(on)} | {'with' if on['val'] < off['val'] else 'without'} | {UNIVARIATE64[d][i]:.3f} |")

print()
print("| run | what changes | validation MSE | test MSE / MAE | best epoch | CPU s |")
print("|---|---|---:|---|---|---:|")
for name, what in [("mv-ETTh1-96-def-s1", "ETTh1 96: defaults: Adam 1e-3, plateau halving, patience 4"),
                   ("abl-lr3e3", "ETTh1 96: --lr 3e-3, plateau"),
                   ("abl-w8k", "ETTh1 96: --windows-per-epoch 8192 --epochs 10"),
                   ("abl-lr3e3-w4k-e30", "ETTh1 96: --lr 3e-3 --windows-per-epoch 4096 --epochs 30"),
                   ("abl-h2-rv-h128", "ETTh2 96: chosen + --instance-scale, hidden 128"),
                   ("abl-h2-rv-drop", "ETTh2 96: chosen + --instance-scale, dropout 0.2"),
                   ("mv-ETTh1-96-base-s1", "ETTh1 96: the chosen --lr 3e-3 --scheduler cosine --epochs 20 --patience 20"),
                   ("mv-ETTh1-96-rv-s1", "ETTh1 96: chosen + --instance-scale"),
                   ("mv-ETTh2-96-rv-s1", "ETTh2 96: chosen + --instance-scale"),
                   ("abl-rv-w8k", "ETTh2 96: chosen + --instance-scale --windows-per-epoch 8192"),
                   ("mv-ETTh2-96-rv-L512-s1", "ETTh2 96: chosen + --instance-scale, look-back 512 (patch 16)"),
                   ("mv-ETTh2-192-rv-L512-s1", "ETTh2 192: chosen + --instance-scale, look-back 512"),
                   ("mv-ETTh2-336-rv-L512-s1", "ETTh2 336: chosen + --instance-scale, look-back 512"),
                   ("mv-ETTh2-720-rv-L512-s1", "ETTh2 720: chosen + --instance-scale, look-back 512")]:
    r = load(name)
    if r is not None:
        print(f"| {name} | {what} | {r['val']:.4f} | {r['mse']:.4f} / {r['mae']:.4f} | {r['best']}/{r['epochs']} | {r['cpu']:.0f} |")
