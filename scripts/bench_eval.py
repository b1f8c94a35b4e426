"""`samic eval` benchmark on generated data: SAMIC vs PerSAM vs copy vs centre, unseen classes.

Generates a synthetic few-shot dataset (`samic synth`), converts its training classes to a
SAMBOX folder (`samic to-sambox`), trains SAMIC briefly with a random backbone, and evaluates
every method on the test classes with the oracle and SAM segmenters. Without --checkpoint the
SAM is a tiny random one: its SAM-segmenter numbers are meaningless (they only exercise the
pipeline); the oracle columns and PerSAM's point placement still compare prompts.

    .venv/bin/python scripts/bench_eval.py [--device cpu] [--checkpoint SAM.pth] [--out DIR]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from samic_core.cli.main import main as samic_main
from samic_core.testing import make_tiny_sam_checkpoint


def run(out: Path, device: str, checkpoint: Path | None, epochs: int) -> int:
    syn, sambox, model = out / "syn", out / "trn_sambox", out / "samic.pt"
    steps = [
        ["synth", str(syn), "--classes", "12", "--images-per-class", "12", "--seed", "0",
         "--size", "96"],
        ["to-sambox", "--dataset", str(syn), "--format", "fss", "--split-file",
         str(syn / "splits" / "trn.txt"), "--out", str(sambox)],
        ["train", str(sambox), "--out", str(model), "--epochs", str(epochs), "--image-size", "96",
         "--backbone-weights", "none", "--device", device, "--val-fraction", "0"],
    ]  # fmt: skip
    if checkpoint is None:
        checkpoint = make_tiny_sam_checkpoint(out / "tiny_sam.pth")
        print("SAM: tiny random checkpoint; the SAM-segmenter numbers below are meaningless")
    steps.append(
        ["eval", "--dataset", str(syn), "--format", "fss", "--split-file",
         str(syn / "splits" / "test.txt"), "--method", "samic,persam,copy,center",
         "--model", str(model), "--shots", "1", "--segmenter", "oracle,sam",
         "--checkpoint", str(checkpoint), "--model-type", "auto", "--device", device,
         "--cache-dir", str(out / "embeddings"), "--out", str(out / "results")]
    )  # fmt: skip
    for argv in steps:
        start = time.perf_counter()
        rc = samic_main(argv)
        print(f"samic {argv[0]}: {time.perf_counter() - start:.1f} s", flush=True)
        if rc != 0:
            return rc
    print((out / "results" / "results.md").read_text())
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--checkpoint", type=Path, help="a real SAM checkpoint (default: tiny random)")
    p.add_argument("--epochs", type=int, default=22)
    p.add_argument("--out", type=Path, help="keep the data and results here (default: temp)")
    args, _ = p.parse_known_args()  # make bench passes every script the same arguments
    logging.basicConfig(level=logging.WARNING)
    if args.out is not None:
        return run(args.out, args.device, args.checkpoint, args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        return run(Path(tmp), args.device, args.checkpoint, args.epochs)


if __name__ == "__main__":
    raise SystemExit(main())
