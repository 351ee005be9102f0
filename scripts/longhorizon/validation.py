#!/usr/bin/env python3
"""The per-window scaling table of docs/forecasting.md: validation and test MSE of each setting, the choice made on
the validation MSE alone, and the seed mean of what was chosen (runs of scripts/longhorizon/instance-scale.sh).

    scripts/longhorizon/validation.py [RUN_DIR]      default: runs/longhorizon

The validation MSE is the best epoch's (the weights the run restores and tests); the test MSE is read only after the
choice, to report it.
"""
import json, os, statistics, sys

runs = sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon"
HORIZONS = [96, 192, 336, 720]
PATCHTST64 = {"ETTh1": [0.370, 0.413, 0.422, 0.447], "ETTh2": [0.274, 0.341, 0.329, 0.379]}


def load(name):
    path = os.path.join(runs, name + ".json")
    if not os.path.exists(path):
        return None
    report = json.load(open(path))
    lstm = next(r for r in report["results"] if r["name"] == "LSTM")
    validation = min(e["validationLoss"] for e in report["epochs"])
    cpu = float("nan")
    timing = os.path.join(runs, name + ".time")
    if os.path.exists(timing):
        words = open(timing).read().split()
        cpu = sum(float(v) for v in words[words.index("cpu") + 1].split("+"))
    return {"val": validation, "mse": lstm["mse"], "mae": lstm["mae"], "best": report["bestEpoch"],
            "epochs": len(report["epochs"]), "cpu": cpu}


def cell(r):
    return "–" if r is None else f"{r['val']:.4f} | {r['mse']:.4f} / {r['mae']:.4f}"


print("| dataset | horizon | off: validation \\| test MSE / MAE | on: validation \\| test MSE / MAE | chosen on validation | "
      "chosen, mean ± sd over seeds (test MSE / MAE) | PatchTST/64 | CPU s (off, on) |")
print("|---|---:|---|---|---|---|---|---|")
for d in ["ETTh1", "ETTh2"]:
    for i, h in enumerate(HORIZONS):
        off, on = load(f"mv-{d}-{h}-base-s1"), load(f"mv-{d}-{h}-rv-s1")
        if off is None or on is None:
            continue
        chosen = "on" if on["val"] < off["val"] else "off"
        tag = "rv" if chosen == "on" else "base"
        seeds = [r for r in (load(f"mv-{d}-{h}-{tag}-s{s}") for s in (1, 2, 3)) if r is not None]
        mse = [r["mse"] for r in seeds]
        mae = [r["mae"] for r in seeds]
        spread = (f"{statistics.mean(mse):.4f} ± {statistics.stdev(mse):.4f} / {statistics.mean(mae):.4f} ± {statistics.stdev(mae):.4f} (n={len(seeds)})"
                  if len(seeds) > 1 else f"{mse[0]:.4f} / {mae[0]:.4f} (n=1)")
        print(f"| {d} | {h} | {cell(off)} | {cell(on)} | {chosen} | {spread} | {PATCHTST64[d][i]:.3f} | {off['cpu']:.0f}, {on['cpu']:.0f} |")

print()
print("| run | what changes | validation MSE | test MSE / MAE | best epoch | CPU s |")
print("|---|---|---:|---|---|---:|")
for name, what in [("abl-defaults", "ETTh1 96: Adam 1e-3, plateau halving, patience 4"),
                   ("abl-lr3e3", "ETTh1 96: --lr 3e-3, plateau"),
                   ("abl-w8k", "ETTh1 96: --windows-per-epoch 8192 --epochs 10"),
                   ("abl-lr3e3-w4k-e30", "ETTh1 96: --lr 3e-3 --windows-per-epoch 4096 --epochs 30"),
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
