"""`samic eval`: compare prompt methods on a few-shot dataset; writes JSON, markdown and a chart."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from samic_core.cli.options import (
    add_backbone_weights_option,
    add_peak_options,
    add_sam_options,
    engine_from_args,
    peak_rule_from_args,
    progress_bar,
)
from samic_core.cli.parsing import add_command, add_input, required_input
from samic_core.errors import SamicError
from samic_core.eval.datasets import FORMATS, VIDEO_FORMATS, read_dataset
from samic_core.eval.episodes import BENCHMARK_EPISODES, POLICIES
from samic_core.eval.harness import (
    REFERENCE_POINTS,
    SEGMENTERS,
    EmbeddingProvider,
    EvalConfig,
    evaluate,
)
from samic_core.eval.methods import METHOD_NAMES, SAM_GROUPINGS, CenterMethod, CopyMethod
from samic_core.eval.methods.base import PromptMethod
from samic_core.eval.methods.persam import PerSamMethod
from samic_core.eval.paper import (
    BENCHMARKS,
    default_benchmark,
    describe,
    list_line,
    reference_lines,
)
from samic_core.eval.prompts import PromptRule
from samic_core.eval.report import check_output_dir, summary_rows, write_report
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.sam2_video import Sam2VideoTracker

VIDEO_METHOD = "sam2-video"  # not a prompt method: SAM 2.1 carries frame 0's masks itself


def _choices(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    """Parse a value that may be a comma list: 'samic,persam' -> ['samic', 'persam']."""

    def parse(text: str) -> list[str]:
        values = [v.strip() for v in text.split(",") if v.strip()]
        bad = [v for v in values if v not in allowed]
        if bad or not values:
            raise argparse.ArgumentTypeError(
                f"invalid choice {text!r} (choose from {', '.join(allowed)}, comma-separated)"
            )
        return values

    return parse


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "eval",
        help="few-shot benchmark: SAMIC vs PerSAM vs baselines on a dataset folder",
        usage="%(prog)s DATASET --format FORMAT --method METHOD [--model MODEL] --out RESULTS "
        "[options]",
        description="Run every --method on the same fixed-seed episodes and write results.json "
        "(every number and the episode list), results.md (methods x metrics, per class) and "
        "iou_per_class.png to --out. See docs/evaluation.md.",
        examples=[
            "samic eval fss1000/ --format fss --method copy,center --out results/",
            "samic eval fss1000/ --format fss --method samic,persam --model fss.samic "
            "--segmenter sam --out results/",
            "samic eval davis/ --format davis --year 2017 --method samic --model davis.samic "
            "--out results/",
        ],
    )  # fmt: skip
    add_input(p, "dataset", "DATASET", "dataset folder", old_option="--dataset")
    p.add_argument(
        "--format", choices=FORMATS + VIDEO_FORMATS, required=True, help="dataset layout"
    )
    p.add_argument(
        "--method",
        type=_choices((*METHOD_NAMES, VIDEO_METHOD)),
        action="append",
        required=True,
        help=f"{'|'.join(METHOD_NAMES)}; repeat or comma-separate to compare several; with "
        f"--format davis also {VIDEO_METHOD} (SAM 2.1's video propagation from frame 0's "
        "masks; needs a SAM 2.1 --checkpoint or --model-type)",
    )
    p.add_argument("--model", type=Path, help="trained SAMIC model file (for --method samic)")
    add_backbone_weights_option(p)
    p.add_argument("--shots", type=int, default=1, metavar="K", help="support images per episode")
    p.add_argument(
        "--segmenter",
        type=_choices(SEGMENTERS),
        action="append",
        help="sam: SAM's mask for the points; oracle: the ground-truth parts the points hit "
        "(no SAM needed); repeat or comma-separate for both (default: oracle)",
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="RESULTS", help="folder for the results"
    )
    p.add_argument("--overwrite", action="store_true", help="replace results already in --out")
    g = p.add_argument_group("episodes")
    g.add_argument(
        "--split-file",
        type=Path,
        help="the papers' list: FSS-1000's test.txt, HSNet's pascal val/fold<i>.txt or coco "
        "val/fold<i>.pkl, a DAVIS sequence list; any other class list runs as non-standard",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the episode draw")
    g.add_argument(
        "--policy",
        choices=POLICIES,
        help="random: supports drawn from the class's other images (HSNet, default); "
        "first: the first K images are the supports (PerSAM on PerSeg, default for perseg)",
    )
    g.add_argument("--episodes-per-class", type=int, help="at most this many queries per class")
    g.add_argument("--fold", type=int, choices=range(4), help="coco20i / pascal5i test fold")
    g.add_argument(
        "--episodes",
        type=int,
        default=BENCHMARK_EPISODES,
        help=f"episodes per fold for coco20i / pascal5i (default {BENCHMARK_EPISODES})",
    )
    g.add_argument("--year", type=int, choices=(2016, 2017), help="DAVIS year (--format davis)")
    g.add_argument(
        "--davis-reference",
        choices=("previous", "first"),
        default="previous",
        help="DAVIS: each frame's reference is the previous frame with its ground truth "
        "(the paper's protocol, default) or the first frame",
    )
    g.add_argument(
        "--all-sequences",
        action="store_true",
        help="DAVIS without a sequence list: score every annotated sequence, training ones too "
        "(non-standard)",
    )
    g.add_argument(
        "--benchmark",
        choices=BENCHMARKS,
        help="the paper's benchmark whose published numbers are printed beside the measured "
        "ones (default from --format; needed for --format folder: tsmu, nwpu, kvasir)",
    )
    g = p.add_argument_group("prompts")
    g.add_argument(
        "--ref-rule",
        type=PromptRule.parse,
        default=PromptRule(),
        help="rule for reference clicks from masks: interior[:N] (default interior:3), centroid",
    )
    g.add_argument(
        "--ref-points",
        choices=REFERENCE_POINTS,
        default="annotated",
        help="annotated: a SAMBOX folder's own clicks where present; rule: always the rule",
    )
    g.add_argument(
        "--sam-prompts",
        choices=SAM_GROUPINGS,
        default="per-point",
        help="per-point (default, as `samic predict`): one SAM decode per positive point, masks "
        "unioned; joint: all points in one prompt (PerSAM always uses its own cascade)",
    )
    g.add_argument(
        "--samic-threshold", type=float, default=None, dest="threshold",
        help="SAMIC peak threshold (the same as --threshold)",
    )  # fmt: skip
    g.add_argument(
        "--no-persam-guidance",
        action="store_true",
        help="PerSAM without target-guided attention and target-semantic prompting",
    )
    add_peak_options(p)
    add_sam_options(p)
    p.set_defaults(func=run)


def _flatten(groups: list[list[str]] | None, default: list[str]) -> list[str]:
    values = [v for g in groups or [] for v in g] or default
    return list(dict.fromkeys(values))


def build_methods(
    args: argparse.Namespace,
    names: list[str],
    engine: ClickEngine | None,
    embedder: EmbeddingProvider | None,
) -> list[PromptMethod]:
    """The methods in the order given; SAMIC's predictor is imported only when asked for."""
    methods: list[PromptMethod] = []
    for name in names:
        if name == "copy":
            methods.append(CopyMethod())
        elif name == "center":
            methods.append(CenterMethod())
        elif name == "persam":
            assert engine is not None and embedder is not None
            methods.append(PerSamMethod(engine, embedder, guidance=not args.no_persam_guidance))
        elif name == "samic":
            from samic_core.eval.methods.samic import SamicMethod

            if args.model is None:
                raise SamicError("--method samic needs --model (a trained SAMIC model file)")
            method = SamicMethod(args.model, args.device, precision=args.precision,
                                 backbone_weights=args.backbone_weights)  # fmt: skip
            method.rule = peak_rule_from_args(args, method.predictor.default_rule)
            methods.append(method)
    return methods


def run(args: argparse.Namespace) -> int:
    required_input(args.dataset, "DATASET (the dataset folder)")
    names = _flatten(args.method, [])
    segmenters = _flatten(args.segmenter, ["oracle"])
    if args.shots < 1:
        raise SamicError(f"--shots must be at least 1, got {args.shots}")
    check_output_dir(args.out, args.overwrite)
    if args.format == "davis":
        return _run_video(args, names, segmenters)
    if VIDEO_METHOD in names:
        raise SamicError(f"--method {VIDEO_METHOD} is for --format davis (clips)")
    if args.year is not None or args.all_sequences:
        raise SamicError("--year and --all-sequences are for --format davis")
    dataset = read_dataset(args.dataset, args.format, args.split_file, args.fold)
    policy = args.policy or dataset.policy or ("first" if args.format == "perseg" else "random")
    config = EvalConfig(
        shots=args.shots,
        seed=args.seed,
        segmenters=tuple(segmenters),
        policy=policy,
        max_queries_per_class=args.episodes_per_class,
        episodes=args.episodes,
        prompt_rule=args.ref_rule,
        reference_points=args.ref_points,
        sam_grouping=args.sam_prompts,
    )
    engine, embedder, methods = _methods_and_sam(args, names, segmenters)
    with _interruptible() as stop, progress_bar("eval", unit="episode") as progress:
        result = evaluate(dataset, methods, config, engine, embedder, progress, stop)
    results = result.to_json()
    results["paper"] = describe(args.benchmark or default_benchmark(args.format))
    paths = write_report(results, args.out, overwrite=args.overwrite)
    header, rows = summary_rows(results)
    sys.stdout.write(" | ".join(header) + "\n")
    for row in rows:
        sys.stdout.write(" | ".join(row) + "\n")
    sys.stdout.write(list_line(results) + "\n")
    sys.stdout.write(f"{len(result.episodes)} episodes; wrote {', '.join(map(str, paths))}\n")
    return 1 if result.interrupted else 0


def _video_tracker(args: argparse.Namespace) -> Sam2VideoTracker:
    """SAM 2.1's video predictor for --method sam2-video; SAM 1 has no video memory."""
    from samic_core.sam.build import checkpoint_family
    from samic_core.sam.registry import family_of
    from samic_core.sam.weights import resolve_checkpoint

    checkpoint = resolve_checkpoint(args.checkpoint, args.model_type)
    if (family_of(args.model_type) or checkpoint_family(checkpoint)) != "sam2":
        raise SamicError(
            f"--method {VIDEO_METHOD} needs a SAM 2.1 checkpoint ({checkpoint} is SAM 1); "
            "pass --checkpoint FILE.pt or --model-type sam2.1_hiera_t"
        )
    return Sam2VideoTracker(checkpoint, args.model_type, args.device)


def _methods_and_sam(
    args: argparse.Namespace, names: list[str], segmenters: list[str]
) -> tuple[ClickEngine | None, EmbeddingProvider | None, list[PromptMethod]]:
    """SAM (only when a segmenter or PerSAM needs it) and the methods to compare."""
    engine = embedder = None
    if "sam" in segmenters or "persam" in names:
        engine = engine_from_args(args)
        embedder = EmbeddingProvider(engine)
    return engine, embedder, build_methods(args, names, engine, embedder)


def _run_video(args: argparse.Namespace, names: list[str], segmenters: list[str]) -> int:
    """DAVIS: every object on every scored frame, J / F / J&F per sequence and overall."""
    from samic_core.eval.davis import read_davis
    from samic_core.eval.video import evaluate_video, video_rows, write_video_report

    if args.year is None:
        raise SamicError("--format davis needs --year 2016 or 2017")
    if args.shots != 1:
        raise SamicError("--format davis is 1-shot (one reference frame)")
    dataset = read_davis(args.dataset, args.year, args.split_file, all_sequences=args.all_sequences)
    config = EvalConfig(
        shots=1,
        seed=args.seed,
        segmenters=tuple(segmenters),
        prompt_rule=args.ref_rule,
        reference_points="rule",
        sam_grouping=args.sam_prompts,
    )
    tracker = _video_tracker(args) if VIDEO_METHOD in names else None
    names = [n for n in names if n != VIDEO_METHOD]
    engine, embedder, methods = _methods_and_sam(args, names, segmenters)
    with _interruptible() as stop, progress_bar("eval", unit="frame") as progress:
        results = evaluate_video(
            dataset, methods, config, args.davis_reference, engine, embedder, progress, stop,
            video_tracker=tracker,
        )
    benchmark = args.benchmark or default_benchmark("davis", args.year)
    results["paper"] = describe(benchmark)
    paths = write_video_report(results, args.out, reference_lines(benchmark, 1))
    header, rows = video_rows(results)
    sys.stdout.write(" | ".join(header) + "\n")
    for row in rows:
        sys.stdout.write(" | ".join(row) + "\n")
    for line in [list_line(results), *reference_lines(benchmark, 1)]:
        sys.stdout.write(line + "\n")
    sys.stdout.write(f"wrote {', '.join(map(str, paths))}\n")
    return 1 if results["interrupted"] else 0


@contextlib.contextmanager
def _interruptible() -> Iterator[Callable[[], bool]]:
    """Ctrl-C once: stop after the current episode (the callable turns True); twice: abort."""
    stop = {"asked": False}

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if stop["asked"]:
            raise KeyboardInterrupt
        stop["asked"] = True
        sys.stderr.write("\nstopping after this episode (Ctrl-C again to abort)...\n")

    in_main = threading.current_thread() is threading.main_thread()  # signals need it
    previous = signal.signal(signal.SIGINT, on_interrupt) if in_main else None
    try:
        yield lambda: stop["asked"]
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
