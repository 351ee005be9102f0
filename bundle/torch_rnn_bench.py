#!/usr/bin/env python3
"""Independent anchor for LstmNative's GPU benchmarks: PyTorch's nn.LSTM / nn.GRU on CUDA (cuDNN underneath), timed
with CUDA events on the same shapes as our suites.

  python3 torch_rnn_bench.py --out DIR [--budget SECONDS]

Inference: batch 1, T = 100, input = hidden, H = 256/512/1024, one layer, forward only (torch.no_grad), input already
on the device. Training: the quick DeepBench rows (forward + backward with dx and every weight gradient). Each row in
fp32 with TF32 disabled and with TF32 allowed (torch.backends.cuda.matmul.allow_tf32 / cudnn.allow_tf32), stated in
the table. Median of the timed iterations after warm-up. Writes DIR/torch-rnn.md and DIR/torch-rnn.json as it goes.
"""
import argparse, json, os, statistics, sys, time

INFERENCE = [("lstm", h, 1, 100) for h in (256, 512, 1024)] + [("gru", 512, 1, 100)]
TRAINING = [("lstm", 512, 16, 25), ("lstm", 1024, 32, 25), ("lstm", 2048, 64, 25), ("lstm", 4096, 128, 25),
            ("lstm", 256, 16, 150), ("gru", 1536, 32, 187)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", type=float, default=90)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    md_path, json_path = os.path.join(a.out, "torch-rnn.md"), os.path.join(a.out, "torch-rnn.json")
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - report any import failure
        open(md_path, "w").write(f"## PyTorch anchor\n\nNot run: import torch failed: {e}\n")
        print(f"torch not importable: {e}")
        return 0
    if not torch.cuda.is_available():
        open(md_path, "w").write("## PyTorch anchor\n\nNot run: torch.cuda.is_available() is False\n")
        return 0
    start = time.time()
    dev = torch.device("cuda")
    info = (f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
            f"{torch.cuda.get_device_name(0)}")
    rows = []

    def write():
        lines = ["## PyTorch anchor (nn.LSTM / nn.GRU on CUDA)", "", info, "",
                 "Median ms per call (CUDA events); inference = forward of the whole sequence under no_grad; training = "
                 "forward + backward (dx, all weight gradients).", "",
                 "| kind | cell | H | B | T | math | ms |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['kind']} | {r['cell'].upper()} | {r['H']} | {r['B']} | {r['T']} | {r['math']} | "
                         f"{r['ms']:.4f} |" if r.get('ms') is not None else
                         f"| {r['kind']} | {r['cell'].upper()} | {r['H']} | {r['B']} | {r['T']} | {r['math']} | {r['note']} |")
        open(md_path, "w").write("\n".join(lines) + "\n")
        json.dump({"info": info, "rows": rows}, open(json_path, "w"), indent=1)

    def timed(fn, iters, warmup):
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            fn()
            e.record()
            e.synchronize()
            times.append(s.elapsed_time(e))
        return statistics.median(times)

    for math in ("fp32", "tf32"):
        torch.backends.cuda.matmul.allow_tf32 = math == "tf32"
        torch.backends.cudnn.allow_tf32 = math == "tf32"
        for kind, table in (("inference", INFERENCE), ("training", TRAINING)):
            for cell, h, b, t in table:
                row = {"kind": kind, "cell": cell, "H": h, "B": b, "T": t, "math": math}
                if time.time() - start > a.budget:
                    row["note"] = "budget spent"
                    rows.append(row)
                    continue
                try:
                    torch.manual_seed(0)
                    mod = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(h, h).to(dev)
                    x = torch.randn(t, b, h, device=dev)
                    if kind == "inference":
                        mod.eval()
                        with torch.no_grad():
                            row["ms"] = timed(lambda: mod(x), 50, 10)
                    else:
                        x.requires_grad_(True)
                        dy = torch.randn(t, b, h, device=dev)

                        def step():
                            y, _ = mod(x)
                            y.backward(dy)
                        row["ms"] = timed(step, 20, 3)
                except Exception as e:  # noqa: BLE001 - a refused shape is a row, not a crash
                    row["note"] = f"failed: {str(e).splitlines()[0][:120]}"
                rows.append(row)
                print(row, flush=True)
                write()
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
