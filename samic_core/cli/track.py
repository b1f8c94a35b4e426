"""`samic track CLIP`: carry the objects annotated on some frames of a clip to all its frames."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.annotation import AnnotationStore
from samic_core.cli.options import add_sam_options, engine_config, progress_bar
from samic_core.cli.parsing import add_command
from samic_core.text import counted
from samic_core.video.clip import open_clip
from samic_core.video.track import TrackReport, require_prompts, track_clip
from samic_core.video.trackers import build_tracker


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "track",
        help="track the objects annotated on some frames of a clip through all its frames",
        usage="%(prog)s CLIP [--checkpoint SAM2.pt | --model SAMIC] [options]",
        description="CLIP is a folder of frames (sorted by name) or a video file (mp4, avi, mov, "
        "mkv; its frames are extracted once into CLIP.frames/). The objects annotated on some "
        "frames in SAMBOX (manual or reviewed objects, or frames marked done) are the prompts: "
        "with a SAM 2.1 checkpoint its video predictor carries them forward and backward; with "
        "SAM 1, SAMIC (--model) follows each one from the previous frame. Every other frame gets "
        "them as predictions under the same ids (track ids); frames with the annotator's work "
        "are never changed. Interrupted, it goes on where it stopped when run again.",
        examples=[
            "samic track walk.mp4 --model-type sam2.1_hiera_t",
            "samic track clips/walk/ --checkpoint sam2.1_hiera_small.pt --device cuda",
            "samic track clips/walk/ --checkpoint sam_vit_b_01ec64.pth --model walk.samic",
        ],
    )  # fmt: skip
    p.add_argument("clip", type=Path, metavar="CLIP", help="folder of frames, or a video file")
    p.add_argument(
        "--model", type=Path, metavar="SAMIC",
        help="SAMIC model file: needed with a SAM 1 checkpoint, which has no video memory",
    )  # fmt: skip
    p.add_argument(
        "--restart", action="store_true",
        help="track the whole clip again instead of going on from an interrupted run",
    )  # fmt: skip
    add_sam_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with progress_bar("frames", unit="frame") as progress:
        clip = open_clip(args.clip, progress)
    require_prompts(AnnotationStore(clip.folder), clip)  # before a model is loaded for nothing
    tracker = build_tracker(engine_config(args), args.model)
    with progress_bar("tracking", unit="frame") as progress:
        report = track_clip(clip, tracker, progress=progress, restart=args.restart)
    _print_summary(report, clip.folder)
    return 0


def _print_summary(report: TrackReport, folder: Path) -> None:
    tracks = ", ".join(f"{i} {label}" for i, label in report.tracks.items())
    sys.stdout.write(
        f"{counted(len(report.tracks), 'track')} ({tracks}) from "
        f"{counted(len(report.prompted), 'prompted frame')}: "
        f"{len(report.written)} frames written, {len(report.empty)} with no track visible, "
        f"{len(report.protected)} left as annotated meanwhile"
        f"{' (went on from an interrupted run)' if report.resumed else ''} -> {folder}\n"
    )
