#!/usr/bin/env python3
"""The translation model of `lstmnative translate train` in PyTorch, timed on the CPU (issue 14's speed comparison).

Same model as src/LstmNative.Translation (Seq2SeqModel): word embeddings -> bidirectional LSTM encoder with sequence
lengths (packed) -> bridge h0 = tanh(W[h_fwd; h_bwd]), c0 = W[c_fwd; c_bwd] -> LSTM decoder on [embedding; feed] with
input feeding -> Luong "general" attention masked past each source length -> h~ = tanh(W[context; h]) -> output
projection; label-smoothed cross-entropy ignoring padding, Adam, global-norm clipping, dropout; the same vocabularies
(training split, min count 2) and length-bucketed batches. It times training (target tokens/s) and batched beam search
(sentences/s); it does not train to convergence.

    python3 benchmarks/translation/pytorch_seq2seq.py --data ../shared/data/multi30k --threads 2
    # beam search on a model trained by `lstmnative translate train` (same weights and vocabularies on both sides):
    python3 benchmarks/translation/pytorch_seq2seq.py --data ../shared/data/multi30k --model run/model.safetensors --batches 0

Run it alone on the machine (and our side alone, see docs/translation.md); on OpenBLAS builds unset OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE for this command.
"""
import argparse
import collections
import json
import math
import random
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, UNK, BOS, EOS = 0, 1, 2, 3


def read(path):
    with open(path, encoding="utf-8") as f:
        return [line.split() for line in f.read().splitlines()]


def vocabulary(sentences, min_count):
    counts = collections.Counter(w for s in sentences for w in s)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate(["<pad>", "<unk>", "<s>", "</s>"] + words)}


def ids(sentence, vocab):
    return [vocab.get(w, UNK) for w in sentence]


def batches(src, tgt, batch_size, rng):
    order = list(range(len(src)))
    rng.shuffle(order)
    pool = batch_size * 50
    out = []
    for p in range(0, len(order), pool):
        chunk = sorted(order[p:p + pool], key=lambda i: (len(src[i]), len(tgt[i])))
        out += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def pad(rows, value=PAD):
    width = max(len(r) for r in rows)
    return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.long)


class Seq2Seq(nn.Module):
    def __init__(self, vs, vt, e, h, dropout):
        super().__init__()
        self.h = h
        self.src_emb = nn.Embedding(vs, e, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(vt, e, padding_idx=PAD)
        self.encoder = nn.LSTM(e, h, batch_first=True, bidirectional=True)
        self.bridge_h = nn.Linear(2 * h, h)
        self.bridge_c = nn.Linear(2 * h, h)
        self.key = nn.Linear(2 * h, h, bias=False)
        self.decoder = nn.LSTMCell(e + h, h)
        self.combine = nn.Linear(3 * h, h, bias=False)
        self.out = nn.Linear(h, vt)
        self.drop = nn.Dropout(dropout)

    def encode(self, src, lengths):
        emb = self.drop(self.src_emb(src))
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        states, (hn, cn) = self.encoder(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=src.shape[1])
        h0 = torch.tanh(self.bridge_h(torch.cat([hn[0], hn[1]], -1)))
        c0 = self.bridge_c(torch.cat([cn[0], cn[1]], -1))
        mask = torch.arange(src.shape[1])[None, :] >= lengths[:, None]
        return states, self.key(states), mask, h0, c0

    def step(self, y, feed, h, c, states, keys, mask):
        h, c = self.decoder(torch.cat([self.tgt_emb(y), feed], -1), (h, c))
        scores = torch.bmm(keys, h.unsqueeze(2)).squeeze(2).masked_fill(mask, float("-inf"))
        attn = torch.softmax(scores, -1)
        ctx = torch.bmm(attn.unsqueeze(1), states).squeeze(1)
        htil = torch.tanh(self.combine(torch.cat([ctx, h], -1)))
        return htil, h, c

    def forward(self, src, lengths, tgt_in):
        states, keys, mask, h, c = self.encode(src, lengths)
        feed = torch.zeros_like(h)
        temb = self.drop(self.tgt_emb(tgt_in))
        outs = []
        for t in range(tgt_in.shape[1]):
            h, c = self.decoder(torch.cat([temb[:, t], feed], -1), (h, c))
            scores = torch.bmm(keys, h.unsqueeze(2)).squeeze(2).masked_fill(mask, float("-inf"))
            attn = torch.softmax(scores, -1)
            ctx = torch.bmm(attn.unsqueeze(1), states).squeeze(1)
            feed = torch.tanh(self.combine(torch.cat([ctx, h], -1)))
            outs.append(feed)
        return self.out(self.drop(torch.stack(outs, 1)))


@torch.no_grad()
def beam_search(model, src, lengths, beam, max_ratio=2.0, alpha=0.6):
    """Batched beam search (B*beam rows), GNMT length penalty, per-hypothesis stop at </s>."""
    b = src.shape[0]
    states, keys, mask, h, c = model.encode(src, lengths)
    rep = lambda x: x.repeat_interleave(beam, 0)
    states, keys, mask, h, c = rep(states), rep(keys), rep(mask), rep(h), rep(c)
    feed = torch.zeros_like(h)
    y = torch.full((b * beam,), BOS, dtype=torch.long)
    score = torch.full((b, beam), float("-inf"))
    score[:, 0] = 0
    score = score.view(-1)
    alive = torch.ones(b * beam, dtype=torch.bool)
    tokens = []
    max_len = math.ceil(lengths.max().item() * max_ratio) + 10  # as DecodeOptions: 2 x source + 10
    for t in range(max_len):
        feed, h, c = model.step(y, feed, h, c, states, keys, mask)
        logp = torch.log_softmax(model.out(feed), -1)
        logp[~alive] = float("-inf")
        logp[~alive, EOS] = 0  # finished hypotheses carry their score unchanged
        v = logp.shape[1]
        cand = (score[:, None] + logp).view(b, beam * v)
        score, flat = cand.topk(beam, -1)
        origin = (flat // v) + torch.arange(b)[:, None] * beam
        origin, y, score = origin.view(-1), (flat % v).view(-1), score.view(-1)
        h, c, feed, alive = h[origin], c[origin], feed[origin], alive[origin] & (y != EOS)
        tokens = [tk[origin] for tk in tokens] + [y]
        if not alive.any():
            break
    seq = torch.stack(tokens, 1)
    length = ((seq != EOS).cumsum(1) == torch.arange(1, seq.shape[1] + 1)).sum(1).float() + 1
    penalty = ((5 + length) / 6) ** alpha
    best = (score / penalty).view(b, beam).argmax(-1)
    return seq.view(b, beam, -1)[torch.arange(b), best]


def load_lstmnative(path, model):
    """Loads a `translate train` checkpoint (safetensors: weights + vocabularies in the metadata) into `model`."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__")
    t = {k: torch.frombuffer(bytearray(data[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=torch.float32).view(v["shape"])
         for k, v in header.items()}
    e = model.tgt_emb.weight.shape[1]
    h = model.h
    w = t["decoder.weight"]  # [4h, e + 2h] on [embedding; feed; h], gates i f g o as PyTorch's
    sd = {"src_emb.weight": t["source_embedding.weight"], "tgt_emb.weight": t["target_embedding.weight"],
          "bridge_h.weight": t["bridge_h.weight"], "bridge_h.bias": t["bridge_h.bias"],
          "bridge_c.weight": t["bridge_c.weight"], "bridge_c.bias": t["bridge_c.bias"], "key.weight": t["attention.key"],
          "decoder.weight_ih": w[:, :e + h], "decoder.weight_hh": w[:, e + h:], "decoder.bias_ih": t["decoder.bias"],
          "decoder.bias_hh": torch.zeros(4 * h), "combine.weight": t["combine.weight"],
          "out.weight": t["output.weight"], "out.bias": t["output.bias"]}
    for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        sd["encoder." + k] = t["encoder." + k]
        sd["encoder." + k + "_reverse"] = t["encoder." + k + "_reverse"]
    model.load_state_dict(sd)
    words = lambda key: {w: i for i, w in enumerate(meta[key].split("\n"))}
    return words("source_vocabulary"), words("target_vocabulary"), json.loads(meta["settings"])


def bleu(hyps, refs):
    """Corpus BLEU-4 (multi-bleu: clipped n-gram precisions, geometric mean, brevity penalty), in percent."""
    match, total, hl, rl = [0] * 4, [0] * 4, 0, 0
    for h, r in zip(hyps, refs):
        hl, rl = hl + len(h), rl + len(r)
        for n in range(4):
            hc = collections.Counter(tuple(h[i:i + n + 1]) for i in range(len(h) - n))
            rc = collections.Counter(tuple(r[i:i + n + 1]) for i in range(len(r) - n))
            match[n] += sum(min(c, rc[g]) for g, c in hc.items())
            total[n] += max(0, len(h) - n)
    if min(match) == 0:
        return 0.0
    bp = 1.0 if hl > rl else math.exp(1 - rl / max(hl, 1))
    return 100 * bp * math.exp(sum(math.log(m / t) for m, t in zip(match, total)) / 4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--embedding", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--batches", type=int, default=60, help="timed training batches (after 5 warm-up batches)")
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--beam-sentences", type=int, default=500, help="test_2016_flickr sentences to decode")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", help="decode with this `lstmnative translate train` checkpoint (its weights and vocabularies)")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    src_tr, tgt_tr = read(f"{a.data}/train.lc.norm.tok.de"), read(f"{a.data}/train.lc.norm.tok.en")
    vs, vt = vocabulary(src_tr, 2), vocabulary(tgt_tr, 2)
    if a.model:
        with open(a.model, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            settings = json.loads(json.loads(f.read(n))["__metadata__"]["settings"])
        a.embedding, a.hidden = settings["EmbeddingSize"], settings["HiddenSize"]
        model = Seq2Seq(len(vs), len(vt), a.embedding, a.hidden, 0.3)
        vs, vt, _ = load_lstmnative(a.model, model)
    else:
        model = Seq2Seq(len(vs), len(vt), a.embedding, a.hidden, 0.3)
    src = [ids(s, vs) for s in src_tr]
    tgt = [ids(s, vt) for s in tgt_tr]
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    order = batches(src, tgt, a.batch_size, random.Random(1))
    tokens, start = 0, None
    model.train()
    for i, rows in enumerate([] if a.model else order[: 5 + a.batches]):  # a loaded model is only decoded
        if i == 5:
            tokens, start = 0, time.perf_counter()
        s = pad([src[r] for r in rows])
        lengths = torch.tensor([len(src[r]) for r in rows])
        tin = pad([[BOS] + tgt[r] for r in rows])
        tout = pad([tgt[r] + [EOS] for r in rows])
        logits = model(s, lengths, tin)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tout.reshape(-1), ignore_index=PAD, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        tokens += int((tout != PAD).sum())
    train_tps = tokens / (time.perf_counter() - start) if start is not None else float("nan")

    model.eval()
    test = [ids(s, vs) for s in read(f"{a.data}/test_2016_flickr.lc.norm.tok.de")][: a.beam_sentences]
    refs = read(f"{a.data}/test_2016_flickr.lc.norm.tok.en")[: a.beam_sentences]
    words = {i: w for w, i in vt.items()}
    hyps = []
    start = time.perf_counter()
    for k in range(0, len(test), a.batch_size):
        rows = test[k:k + a.batch_size]
        out = beam_search(model, pad([r if r else [UNK] for r in rows]), torch.tensor([max(1, len(r)) for r in rows]), a.beam)
        hyps += [[words[int(x)] for x in row if int(x) != EOS][: next((i for i, x in enumerate(row.tolist()) if x == EOS), len(row))] for row in out]
    beam_sps = len(test) / (time.perf_counter() - start)
    result = {"torch": torch.__version__, "threads": a.threads, "embedding": a.embedding, "hidden": a.hidden,
              "batch_size": a.batch_size, "train_target_tokens_per_s": round(train_tps, 1),
              "beam": a.beam, "beam_sentences": len(test), "beam_sentences_per_s": round(beam_sps, 1),
              "beam_bleu": round(bleu(hyps, refs), 2) if a.model else None}
    print(json.dumps(result))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
