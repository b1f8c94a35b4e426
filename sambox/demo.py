"""`python -m sambox.demo [DIR]` (`make demo`): SAMBOX's whole loop in minutes, with no weights.

Writes DIR/images (synthetic pictures of warm striped discs among cool distractors, the first
few annotated), a tiny SAM with random weights in the official checkpoint format, and
DIR/sambox-demo.ini, the settings the app runs with for the demo: that checkpoint, an embedding
cache inside DIR, and "none" as Train SAMIC's backbone weights (a random backbone, chosen
explicitly since no ImageNet weights are at hand). The user's own SAMBOX settings are neither
read nor changed. Then it opens SAMBOX on DIR/images. Running it again on a built DIR reopens
it as it was left.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks
from samic_core.errors import SamicError
from samic_core.fileio import sha256_file

DEFAULT_DIR = Path("samic-demo")
LABEL = "disc"
N_IMAGES, N_ANNOTATED, SIZE = 12, 5, 256
SETTINGS_NAME = "sambox-demo.ini"  # written last: a folder with it is a finished demo
CHECKPOINT_NAME = "tiny-random-sam.pth"


@dataclass(frozen=True)
class Demo:
    """Where a demo folder keeps its parts."""

    root: Path

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def checkpoint(self) -> Path:
        return self.root / CHECKPOINT_NAME

    @property
    def settings(self) -> Path:
        return self.root / SETTINGS_NAME

    @property
    def cache(self) -> Path:
        return self.root / "embeddings"


def build_demo(root: str | Path) -> tuple[Demo, bool]:
    """Write the demo folder at `root` (a new or empty folder), or find the one built there
    before. Returns it and whether it was built now; SamicError for any other folder."""
    demo = Demo(Path(root))
    if demo.settings.is_file():
        return demo, False
    if demo.root.exists() and (not demo.root.is_dir() or any(demo.root.iterdir())):
        raise SamicError(
            f"{demo.root}: exists and is not a SAMBOX demo folder (no {SETTINGS_NAME}); "
            "name a new folder, e.g. python -m sambox.demo ./my-demo"
        )
    write_images(demo.images)
    from samic_core.testing import make_tiny_sam_checkpoint  # torch: only when building

    make_tiny_sam_checkpoint(demo.checkpoint, seed=0)
    write_settings(demo)
    return demo, True


def write_images(folder: Path) -> None:
    """N_IMAGES synthetic pictures; the first N_ANNOTATED annotated with class LABEL and done.

    Each annotated disc has one click near its centre and the generator's exact disc as its
    mask, saved as `edited` (the mask is not SAM's answer to the click, so the app asks before
    a new click would re-decode it). On the last annotated image the first disc is drawn by
    hand: a mask without any click, which SAMIC learns at the mask's deepest point.
    """
    from samic_core.testing.samic_task import make_synthetic_image

    folder.mkdir(parents=True, exist_ok=True)
    store = AnnotationStore(folder)
    store.ensure_classes([LABEL])
    for i in range(N_IMAGES):
        image = make_synthetic_image(SIZE, seed=i)
        path = folder / f"demo_{i:02d}.png"
        if not cv2.imwrite(str(path), cv2.cvtColor(image.rgb, cv2.COLOR_RGB2BGR)):
            raise SamicError(f"{path}: cannot write the image")
        if i >= N_ANNOTATED:
            continue
        drawn = 0 if i == N_ANNOTATED - 1 else None  # this disc has no click
        objects = [
            AnnotatedObject(
                id=k + 1,
                label=LABEL,
                points=[] if k == drawn else [Point(x=float(x), y=float(y))],
                edited=True,
            )
            for k, (x, y) in enumerate(image.points)
        ]
        ann = ImageAnnotation(
            image=path.name,
            image_sha256=sha256_file(path),
            width=SIZE,
            height=SIZE,
            objects=objects,
            done=True,
        )
        masks = [(k + 1, m) for k, m in enumerate(image.masks)]
        store.save(ann, instances_from_masks(masks, (SIZE, SIZE)))


def write_settings(demo: Demo) -> None:
    """The app's settings for the demo, in the demo's own ini file (never the user's)."""
    from sambox.settings import AppSettings

    settings = AppSettings.from_file(demo.settings)
    settings.checkpoint = demo.checkpoint.resolve()
    settings.model_type = "auto"
    settings.cache_dir = demo.cache.resolve()
    settings.backbone_weights = "none"  # Train SAMIC starts on a random backbone, and says so
    settings.sync()


def describe(demo: Demo, built: bool) -> str:
    """What the demo is, and what random weights can and cannot show (printed before it opens)."""
    state = "Built" if built else "Reopening"
    return f"""{state} the SAMBOX demo in {demo.root}/
  images    {demo.images}/: {N_IMAGES} synthetic pictures of warm striped discs among cool
            distractors; the first {N_ANNOTATED} are annotated (class {LABEL!r}, marked done;
            one disc on demo_{N_ANNOTATED - 1:02d}.png is drawn by hand, without a click)
  SAM       {demo.checkpoint}: a tiny SAM with RANDOM weights
  settings  {demo.settings}: used for the demo only; your SAMBOX settings are not changed

Random weights show the workflow, not the quality:
  - the masks SAM draws for new clicks and boxes are random blobs, not the objects (the
    annotated images keep the generator's exact discs);
  - Train SAMIC starts from a random backbone (its "Backbone weights" are set to "None:
    random backbone" for the demo), so the points SAMIC suggests are guesses.
Everything else works as with real weights: click objects (left: object, right: background),
boxes, the brush and polygon tools, classes, Train SAMIC (Ctrl+T; with "Epochs (at most)" 10
and "Image size" 128 x 128 it takes about a minute on a CPU), Suggest Prompts (P),
Auto-annotate (Ctrl+B), reviewing the predictions, and File > Export Annotations (COCO, VOC,
YOLO, LabelMe).
For real masks, run `sambox` (your own settings) and set up the official SAM checkpoint there.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m sambox.demo",
        description="Build a small annotated folder and a tiny random SAM, then open SAMBOX on "
        "it: the whole loop in minutes, without downloading any weights.",
    )
    p.add_argument(
        "dir", nargs="?", type=Path, default=DEFAULT_DIR, help="demo folder (default: %(default)s)"
    )
    p.add_argument(
        "--no-open", action="store_true", help="only build the folder; do not start SAMBOX"
    )
    args = p.parse_args(argv)
    try:
        demo, built = build_demo(args.dir)
    except (SamicError, OSError) as e:
        sys.stderr.write(f"sambox.demo: {e}\n")
        return 2
    sys.stdout.write(describe(demo, built))
    sys.stdout.flush()
    if args.no_open:
        return 0
    from sambox.__main__ import main as sambox_main

    return sambox_main(app_args(demo))


def app_args(demo: Demo) -> list[str]:
    """The `sambox` command line that opens the demo: its images, with its own settings file."""
    return [str(demo.images), "--settings", str(demo.settings)]


if __name__ == "__main__":
    raise SystemExit(main())
