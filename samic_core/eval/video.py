"""Video object segmentation with prompt methods: one 1-shot episode per object and frame.

The paper's protocol (section 4.1): frame t's reference is frame t - 1 with its ground-truth
mask of the object (`reference="previous"`); `reference="first"` uses frame 0 for every frame
instead (the DAVIS semi-supervised setting without propagation). Frames are scored with J and F
(vos_metrics) on DAVIS's frames 1 .. n - 2, with void pixels as background (davis.py), as the
official davis2017-evaluation scores them. An object absent from its reference frame, or too
small there for a click, gives an empty prediction for that frame, which is scored.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from samic_core import __version__
from samic_core.errors import SamicError
from samic_core.eval.davis import DavisDataset, Sequence
from samic_core.eval.harness import EmbeddingProvider, EvalConfig
from samic_core.eval.mask_io import MIN_COMPONENT_AREA, mask_components
from samic_core.eval.methods.base import PromptMethod, Query, Reference
from samic_core.eval.metrics import oracle_mask
from samic_core.eval.paper import column, list_line, paper_value
from samic_core.eval.ref_lists import label as list_label
from samic_core.eval.vos_metrics import f_measure, jaccard, scored_frames, summarise
from samic_core.fileio import atomic_write_json, atomic_write_text
from samic_core.jobs import Progress, ShouldStop
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.sam2_video import Sam2VideoTracker

REFERENCES = ("previous", "first")


def evaluate_video(
    dataset: DavisDataset,
    methods: list[PromptMethod],
    config: EvalConfig,
    reference: str = "previous",
    engine: ClickEngine | None = None,
    embedder: EmbeddingProvider | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    video_tracker: Sam2VideoTracker | None = None,
) -> dict[str, Any]:
    """J, F and J&F per method and segmenter: per object, per sequence and overall.

    video_tracker: also score SAM 2.1's video propagation (method `sam2-video`, segmenter
    `sam`), prompted with every object's ground-truth mask on frame 0 (DAVIS semi-supervised)
    and carried forward by its memory; scored on the same frames."""
    if reference not in REFERENCES:
        raise SamicError(f"--davis-reference must be one of {REFERENCES}, got {reference!r}")
    if "sam" in config.segmenters and engine is None:
        raise SamicError("the SAM segmenter needs a SAM checkpoint")
    if engine is not None and embedder is None:
        embedder = EmbeddingProvider(engine)
    frames = [(s, t) for s in dataset.sequences for t in scored_frames(len(s.frames))]
    jobs = frames if methods else []
    # scores[method][segmenter][sequence/object] = {"J": [...], "F": [...]}
    scores: dict[str, dict[str, dict[str, dict[str, list[float]]]]] = {
        m.name: {seg: {} for seg in config.segmenters} for m in methods
    }
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    interrupted = False
    for i, (seq, t) in enumerate(jobs):
        if should_stop is not None and should_stop():
            interrupted = True
            break
        _run_frame(dataset, seq, t, reference, methods, config, engine, embedder, scores)
        if progress is not None:
            progress(i + 1, len(jobs), seq.name)
    method_results = {
        m.name: {"method": m.describe(), "segmenters": _summaries(scores[m.name])} for m in methods
    }
    if video_tracker is not None and not interrupted:
        per_object: dict[str, dict[str, list[float]]] = {}
        for k, seq in enumerate(dataset.sequences):
            if should_stop is not None and should_stop():
                interrupted = True
                break
            _propagate(dataset, seq, video_tracker, per_object)
            if progress is not None:
                progress(k + 1, len(dataset.sequences), f"{seq.name} (sam2-video)")
        method_results["sam2-video"] = {
            "method": {"name": "sam2-video", "sam_model": video_tracker.model_id,
                       "prompt": "ground-truth masks of frame 0"},
            "segmenters": _summaries({"sam": per_object}),
        }  # fmt: skip
    return {
        "samic_version": __version__,
        "units": "J, F and J&F are fractions in [0, 1]",
        "list": list_label(dataset.standard_list),
        "list_note": dataset.list_note,
        "dataset": dataset.describe(),
        "config": {**config.describe(), "davis_reference": reference},
        "methods": method_results,
        "sam_model": engine.model_id if engine is not None else None,
        "started": started,
        "seconds": time.perf_counter() - clock,
        "interrupted": interrupted,
    }


def _run_frame(
    dataset: DavisDataset,
    seq: Sequence,
    t: int,
    reference: str,
    methods: list[PromptMethod],
    config: EvalConfig,
    engine: ClickEngine | None,
    embedder: EmbeddingProvider | None,
    scores: dict[str, Any],
) -> None:
    r = t - 1 if reference == "previous" else 0
    query_img = dataset.image(seq, t)
    ref_img = dataset.image(seq, r)
    q_labels = dataset.labels(seq, t, query_img.shape[:2])
    r_labels = dataset.labels(seq, r, ref_img.shape[:2])
    emb = embedder(seq.frames[t]) if "sam" in config.segmenters and embedder else None
    for obj in seq.objects:
        gt = q_labels == obj
        components, _ = mask_components(gt, MIN_COMPONENT_AREA)
        ref_mask = r_labels == obj
        points = config.prompt_rule.points(ref_mask) if ref_mask.any() else np.zeros((0, 2))
        key = f"{seq.name}/{obj}"
        for method in methods:
            prediction = None
            if len(points):
                method.set_references([Reference(ref_img, ref_mask, points, seq.frames[r])])
                prediction = method.predict(Query(query_img, seq.frames[t]))
            for seg in config.segmenters:
                if prediction is None:
                    mask = np.zeros(gt.shape, bool)
                elif seg == "oracle":
                    mask = oracle_mask(prediction.positive, components)
                else:
                    assert engine is not None and emb is not None
                    mask = method.segment(engine, emb, prediction, config.sam_grouping)
                entry = scores[method.name][seg].setdefault(key, {"J": [], "F": []})
                entry["J"].append(jaccard(mask, gt))
                entry["F"].append(f_measure(mask, gt))


def _propagate(
    dataset: DavisDataset,
    seq: Sequence,
    tracker: Sam2VideoTracker,
    per_object: dict[str, dict[str, list[float]]],
) -> None:
    """SAM 2.1's propagation of frame 0's true masks through `seq`, scored per object."""
    first = dataset.image(seq, 0)
    hw = (int(first.shape[0]), int(first.shape[1]))
    labels0 = dataset.labels(seq, 0, hw)
    prompts = {0: {int(obj): labels0 == obj for obj in seq.objects}}
    scored = set(scored_frames(len(seq.frames)))
    read = lambda t: dataset.image(seq, t)  # noqa: E731
    for t, _, masks in tracker.track(read, len(seq.frames), hw, prompts, [(False, 0)]):
        if t not in scored:
            continue
        gt_labels = dataset.labels(seq, t, hw)
        for obj in seq.objects:
            gt = gt_labels == obj
            mask = masks.get(int(obj), np.zeros(hw, bool))
            entry = per_object.setdefault(f"{seq.name}/{obj}", {"J": [], "F": []})
            entry["J"].append(jaccard(mask, gt))
            entry["F"].append(f_measure(mask, gt))


def _summaries(per_seg: dict[str, dict[str, dict[str, list[float]]]]) -> dict[str, Any]:
    out = {}
    for seg, per_object in per_seg.items():
        sequences: dict[str, dict[str, dict[str, list[float]]]] = {}
        for key, v in per_object.items():
            sequences.setdefault(key.rsplit("/", 1)[0], {})[key] = v
        out[seg] = {
            **summarise(per_object),
            "per_sequence": {s: summarise(objs) for s, objs in sequences.items()},
            "per_object": {
                k: {"J": float(np.mean(v["J"])), "F": float(np.mean(v["F"])), "frames": len(v["J"])}
                for k, v in per_object.items()
            },
        }
    return out


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def video_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Summary table: one row per method and segmenter, J / F / J&F in %, the list used, and
    the paper's J&F on SAM rows of a run on the official list."""
    header = ["method", "segmenter", "J&F", "J", "F", "list"]
    benchmark = (results.get("paper") or {}).get("benchmark")
    standard = results.get("list") == "standard"
    paper = {m: paper_value(benchmark, m, 1) if standard else None for m in results["methods"]}
    with_paper = any(
        paper[name] is not None and "sam" in m["segmenters"]
        for name, m in results["methods"].items()
    )
    if with_paper:
        header.append(f"{column(benchmark)} J&F")
    rows = []
    for name, m in results["methods"].items():
        for seg, s in m["segmenters"].items():
            row = [name, seg, _pct(s["J&F"]), _pct(s["J"]), _pct(s["F"])]
            row.append("standard" if standard else "non-standard list")
            if with_paper:
                value = paper[name] if seg == "sam" else None
                row.append("-" if value is None else f"{value:.1f}")
            rows.append(row)
    return header, rows


def video_markdown(results: dict[str, Any], reference_rows: list[str] | None = None) -> str:
    from samic_core.eval.report import _table

    ds, cfg = results["dataset"], results["config"]
    parts = [
        f"# samic eval: DAVIS-{ds['year'] % 100} ({ds['root']})",
        "",
        f"{len(ds['sequences'])} sequences; reference: `{cfg['davis_reference']}` frame with its "
        f"ground truth; clicks by rule `{cfg['prompt_rule']['kind']}`; frames 1 .. n-2 scored "
        f"(DAVIS). SAM model: `{results['sam_model'] or 'none'}`.",
    ]
    if results["interrupted"]:
        parts += ["", "**Interrupted: the numbers cover only the frames run.**"]
    header, rows = video_rows(results)
    parts += ["", list_line(results), "", "## Summary (%)", "", _table(header, rows)]
    if reference_rows:
        parts += ["", *reference_rows]
    for name, m in results["methods"].items():
        for seg, s in m["segmenters"].items():
            seq_rows = [
                [q, _pct(v["J&F"]), _pct(v["J"]), _pct(v["F"])]
                for q, v in s["per_sequence"].items()
            ]
            parts += [
                "",
                f"## Per sequence (%), {name}, {seg} segmenter",
                "",
                _table(["sequence", "J&F", "J", "F"], seq_rows),
            ]
    return "\n".join(parts) + "\n"


def write_video_report(
    results: dict[str, Any], out: Path, reference_rows: list[str] | None = None
) -> list[Path]:
    """results.json and results.md in `out` (the caller checked --overwrite)."""
    from samic_core.eval.report import RESULTS_JSON, RESULTS_MD

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / RESULTS_JSON, out / RESULTS_MD]
    atomic_write_json(paths[0], results)
    atomic_write_text(paths[1], video_markdown(results, reference_rows))
    return paths
