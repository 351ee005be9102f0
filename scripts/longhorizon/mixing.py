#!/usr/bin/env python3
"""The channel-mixing ablation table of docs/forecasting.md ("Channel independence against channel mixing"): for each
dataset and horizon that scripts/longhorizon/mixing.sh ran, the seven channel-mixing runs' test MSE / MAE averaged over
the columns (the multivariate score: every column has the same scored windows) beside the channel-independent run of
the same setting (ridge-init.sh's se-mv-...-fz512-s1, seed 1), each as the kept model and as the fitted highway alone.

    scripts/longhorizon/mixing.py [RUN_DIR]      default: runs/longhorizon
"""
import sys
from runreport import load

COLUMNS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]


def cells(runs):
    """(dataset, horizon, the seven mixing runs) for every cell whose seven runs are all there."""
    for d in ("ETTh1", "ETTh2"):
        for h in (96, 192, 336, 720):
            mix = [load(runs, f"mx-{d}-{h}-{c}-s1") for c in COLUMNS]
            if all(r is not None for r in mix):
                yield d, h, mix


def main(runs):
    print("| dataset | horizon | channel-independent (1 model): MSE / MAE | its fit alone | channel-mixing (7 models, all columns in): MSE / MAE "
          "| their fits alone | mixing / independent (MSE) | fit kept (mixing) | CPU s (independent; mixing, 7 runs) |")
    print("|---|---:|---|---|---|---|---:|---:|---|")
    for d, h, mix in cells(runs):
        ci = load(runs, f"se-mv-{d}-{h}-fz512-s1")
        mean = lambda key: sum(r[key] for r in mix) / len(mix)
        ci_text = f"{ci['mse']:.4f} / {ci['mae']:.4f}" if ci else "–"
        ci_alone = f"{ci['alone_mse']:.4f} / {ci['alone_mae']:.4f}" if ci and ci["alone_mse"] is not None else "–"
        ratio = f"{mean('mse') / ci['mse']:.3f}" if ci else "–"
        print(f"| {d} | {h} | {ci_text} | {ci_alone} | {mean('mse'):.4f} / {mean('mae'):.4f} | "
              f"{mean('alone_mse'):.4f} / {mean('alone_mae'):.4f} | {ratio} | {sum(r['kept_fit'] for r in mix)} of 7 | "
              f"{ci['cpu'] if ci else float('nan'):.0f}; {sum(r['cpu'] for r in mix):.0f} |")
    print()
    print("Per column (test MSE of the kept model, mixing; seed 1):")
    for d, h, mix in cells(runs):
        print(f"  {d} {h}: " + ", ".join(f"{c} {r['mse']:.4f}" for c, r in zip(COLUMNS, mix)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon")
