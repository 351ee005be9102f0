#!/usr/bin/env python3
"""The "every window per epoch" table of docs/forecasting.md: univariate OT, look-back 512, frozen fitted highway,
one-SE rule, seed 1, trained on 2,048 windows drawn per epoch (ridge-init.sh's se-uni-...-fz512-s1) against every
training window per epoch (every-window.sh's ew-uni-...-fz512-s1).

    scripts/longhorizon/every-window.py [RUN_DIR]      default: runs/longhorizon
"""
import sys
from runreport import load


def cell(r):
    if r is None:
        return "– | – | – | –"
    kept = "fit" if r["kept_fit"] else f"epoch {r['best']}"
    return (f"{r['val']:.4f} \\| {r['mse']:.4f} / {r['mae']:.4f} | {kept} (best epoch {r['best']} of {r['epochs']}) | "
            f"{r['plain_mse']:.4f} | {r['cpu']:.0f}")


def main(runs):
    print("| dataset | horizon | 2,048 a epoch: validation \\| test MSE / MAE | kept | best epoch's test MSE | CPU s "
          "| every window: validation \\| test MSE / MAE | kept | best epoch's test MSE | CPU s | fit alone |")
    print("|---|---:|---|---|---:|---:|---|---|---:|---:|---:|")
    for d in ("ETTh1", "ETTh2"):
        for h in (96, 192, 336, 720):
            drawn, every = load(runs, f"se-uni-{d}-{h}-fz512-s1"), load(runs, f"ew-uni-{d}-{h}-fz512-s1")
            if every is None:
                continue
            alone = every["alone_mse"]
            print(f"| {d} | {h} | {cell(drawn)} | {cell(every)} | {alone:.4f} |" if alone is not None else f"| {d} | {h} | {cell(drawn)} | {cell(every)} | – |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon")
