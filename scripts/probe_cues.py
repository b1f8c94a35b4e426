"""Which features can tell the target from its look-alikes? (docs/model.md, "The pixel cue")

For a look-alike family of the suite, train a small probe on the 16 training images' target
masks (nothing else: no reference, no correlation) and score its map on the 16 test images: per
object the map's maximum, then the AUC of targets against look-alikes and the targets found
when 5 % of the look-alikes are let through. The probe reads one set of inputs:

    deep    the appearance cue's inputs: the random ResNet-50's last bottleneck of layer2-4
    layer1  those and layer1 (stride 4)
    pixels  a stem learned on the pixels (the pixel cue's, model/pixel_cue.py)

    .venv/bin/python scripts/probe_cues.py --families shape,texture --inputs deep,layer1,pixels
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from samic_core.model.backbone import FrozenResNetFeatures, load_backbone
from samic_core.model.pixel_cue import PixelCue
from samic_core.testing.families import LOOKALIKE_FAMILIES, draw_family

S = 224
INPUTS = {"deep": ("l2", "l3", "l4"), "layer1": ("l1", "l2", "l3", "l4"), "pixels": ("px",)}
WIDTH = 48


def features(backbone: FrozenResNetFeatures, rgb: np.ndarray) -> dict[str, torch.Tensor]:
    """One image -> {l1: (1, 256, S/4, S/4), l2/l3/l4: each stage's last bottleneck, px: the
    normalised image (1, 3, S, S)}."""
    x = torch.from_numpy(cv2.resize(rgb, (S, S))).permute(2, 0, 1)[None].float() / 255
    px = (x - backbone.mean) / backbone.std
    with torch.no_grad():
        l1 = backbone.layer1(backbone.stem(px))
        feats = backbone(x)
    return {"l1": l1, "l2": feats[3], "l3": feats[9], "l4": feats[12], "px": px}


class Probe(nn.Module):
    """Per input a projection to WIDTH channels (1 x 1 for frozen features, the pixel cue's stem
    for pixels), all at `size`, then three 3 x 3 convs -> (B, size, size) logits."""

    def __init__(self, channels: dict[str, int], size: int) -> None:
        super().__init__()
        self.size = size
        self.project = nn.ModuleDict(
            {
                k: PixelCue().stem if k == "px" else nn.Conv2d(c, WIDTH, 1)
                for k, c in channels.items()
            }
        )
        self.mix = nn.Sequential(
            nn.Conv2d(WIDTH * len(channels), 64, 3, padding=1), nn.GroupNorm(4, 64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.GroupNorm(4, 64), nn.ReLU(),
            nn.Conv2d(64, 1, 3, padding=1),
        )  # fmt: skip

    def forward(self, feats: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = []
        for k, project in self.project.items():
            t = feats[k]
            z = project(t) if k == "px" else project(F.normalize(t, dim=1) * t.shape[1] ** 0.5)
            if z.shape[-1] != self.size:
                z = F.interpolate(z, self.size, mode="bilinear", align_corners=True)
            parts.append(z)
        return self.mix(torch.cat(parts, 1))[:, 0]


def probe(family: str, seed: int, inputs: str, backbone: FrozenResNetFeatures, steps: int) -> dict:
    train = draw_family(family, 16, seed, 0.125, split=0)
    test = draw_family(family, 16, seed, 0.0, split=1)
    keys = INPUTS[inputs]
    size = 28 if inputs == "deep" else 56
    train_feats = [features(backbone, image.rgb) for image, _ in train]
    channels = {k: train_feats[0][k].shape[1] for k in keys}
    feats = {k: torch.cat([f[k] for f in train_feats]) for k in keys}
    masks = []
    for image, _ in train:
        m = np.zeros(image.rgb.shape[:2], np.float32)
        for mask in image.masks:
            m[mask] = 1.0
        masks.append(torch.from_numpy(cv2.resize(m, (size, size), interpolation=cv2.INTER_AREA)))
    target = torch.stack(masks)  # (16, size, size)
    torch.manual_seed(seed)
    net = Probe(channels, size)
    opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-2)
    for step in range(steps):
        pick = torch.randint(0, len(train), (8,))
        f, y = {k: v[pick] for k, v in feats.items()}, target[pick]
        if step % 2:  # horizontal flips, as training does
            f, y = {k: v.flip(-1) for k, v in f.items()}, y.flip(-1)
        loss = F.binary_cross_entropy_with_logits(net(f), y, pos_weight=torch.tensor(4.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    hit, alike = [], []
    with torch.no_grad():
        for image, alikes in test:
            f = features(backbone, image.rgb)
            score = torch.sigmoid(net({k: f[k] for k in keys}))[0].numpy()
            score = cv2.resize(score, image.rgb.shape[1::-1])
            hit += [score[m].max() for m in image.masks]
            alike += [score[m].max() for m in alikes]
    pos, neg = np.array(hit), np.array(alike)
    auc = float((pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean())
    found = float((pos > np.quantile(neg, 0.95)).mean())
    return {
        "auc": auc,
        "found": found,
        "targets": len(pos),
        "alikes": len(neg),
        "loss": loss.item(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--families", default="shape,texture")
    ap.add_argument("--inputs", default="deep,layer1,pixels")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    backbone, _ = load_backbone("resnet50", "none")
    print("| family | seed | probe inputs | AUC target vs look-alike | targets found at 5 % "
          "look-alikes | targets | look-alikes | final training loss | time |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for family in args.families.split(","):
        if family not in LOOKALIKE_FAMILIES:
            ap.error(f"--families: {family!r} is not one of {', '.join(LOOKALIKE_FAMILIES)}")
        for seed in args.seeds:
            for inputs in args.inputs.split(","):
                start = time.monotonic()
                r = probe(family, seed, inputs, backbone, args.steps)
                print(f"| {family} | {seed} | {inputs} | {r['auc']:.3f} | {r['found']:.2f} | "
                      f"{r['targets']} | {r['alikes']} | {r['loss']:.3f} | "
                      f"{time.monotonic() - start:.0f} s |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
