"""Write an evaluation's results: JSON (every number), a markdown table, a per-class bar chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from samic_core.errors import SamicError
from samic_core.eval.paper import column, list_line, paper_value, reference_lines, shows_paper
from samic_core.fileio import atomic_path, atomic_write_json, atomic_write_text

RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
CHART_PNG = "iou_per_class.png"
OUTPUT_FILES = (RESULTS_JSON, RESULTS_MD, CHART_PNG)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{1000 * seconds:.1f}"


def summary_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the methods x metrics table (percentages and seconds as text)."""
    segmenters = results["config"]["segmenters"]
    header = ["method"]
    for seg in segmenters:
        header += [f"mIoU ({seg})", f"FB-IoU ({seg})"]
    header += ["point precision", "instance recall", "points/image", "prompt ms/episode"]
    if "sam" in segmenters:
        header.append("SAM decode ms/episode")
    header.append("list")
    benchmark = (results.get("paper") or {}).get("benchmark")
    shots = results["config"]["shots"]
    with_paper = shows_paper(results) and any(
        paper_value(benchmark, m, shots) is not None for m in results["methods"]
    )
    if with_paper:
        header.append(column(benchmark))
    rows = []
    for name, m in results["methods"].items():
        row = [name]
        for seg in segmenters:
            s = m["segmenters"].get(seg, {})
            row += [_pct(s.get("miou")), _pct(s.get("fb_iou"))]
        row += [
            _pct(m["point_precision"]),
            _pct(m["instance_recall"]),
            f"{m['points_per_image']:.2f}",
            _ms(m["prompt_s_mean"]),
        ]
        if "sam" in segmenters:
            row.append(_ms(m["segmenters"].get("sam", {}).get("segment_s_mean")))
        row.append(_list_cell(results))
        if with_paper:
            value = paper_value(benchmark, name, shots)
            row.append("-" if value is None else f"{value:.1f}")
        rows.append(row)
    return header, rows


def _list_cell(results: dict[str, Any]) -> str:
    return "standard" if results.get("list") == "standard" else "non-standard list"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def markdown_report(results: dict[str, Any]) -> str:
    """The markdown report: run description, summary table, one per-class table per segmenter."""
    ds, cfg = results["dataset"], results["config"]
    methods = list(results["methods"])
    n_ep = len(results["episodes"])
    classes = sorted({e["class"] for e in results["episodes"]}, key=ds["classes"].index)
    rule = cfg["prompt_rule"]
    embed = [e["embed_s"] for e in results["episodes"]]
    parts = [
        f"# samic eval: {ds['root']} ({ds['format']}), {cfg['shots']}-shot",
        "",
        f"{n_ep} episodes over {len(classes)} classes; episode policy `{cfg['policy']}`, "
        f"seed {cfg['seed']}. Reference clicks: `{cfg['reference_points']}` "
        f"(rule `{rule['kind']}`, up to {rule['points_per_component']} per component). "
        f"SAM model: `{results['sam_model'] or 'none'}`"
        + (f", points grouped `{cfg['sam_grouping']}`." if "sam" in cfg["segmenters"] else "."),
    ]
    if results["interrupted"]:
        parts += ["", "**Interrupted: the numbers cover only the episodes listed.**"]
    if results["skipped_episodes"]:
        parts += [
            "",
            f"{len(results['skipped_episodes'])} episodes had no reference that could be "
            "prompted; they are scored with the empty prediction (`skipped_episodes` in "
            "results.json lists them).",
        ]
    header, rows = summary_rows(results)
    parts += ["", list_line(results), "", "## Summary (%)", "", _table(header, rows), ""]
    benchmark = (results.get("paper") or {}).get("benchmark")
    if benchmark is not None:
        parts += [*reference_lines(benchmark, cfg["shots"]), ""]
    if any(embed):
        parts.append(
            f"SAM image encoding: {np.mean(embed):.3f} s per episode on average, shared by all "
            "methods and not included in the per-method times."
        )
    for seg in cfg["segmenters"]:
        ious = {m: results["methods"][m]["segmenters"][seg]["per_class_iou"] for m in methods}
        rows = [[c] + [_pct(ious[m].get(c)) for m in methods] for c in classes]
        rows.append(
            ["**mean**"] + [_pct(results["methods"][m]["segmenters"][seg]["miou"]) for m in methods]
        )
        parts += [
            "",
            f"## Per-class IoU (%), {seg} segmenter",
            "",
            _table(["class", *methods], rows),
        ]
    return "\n".join(parts) + "\n"


def iou_chart(results: dict[str, Any], path: Path) -> None:
    """Grouped bars: per-class foreground IoU of each method, one panel per segmenter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = results["config"]
    methods = list(results["methods"])
    classes = sorted(
        {e["class"] for e in results["episodes"]}, key=results["dataset"]["classes"].index
    )
    segs = cfg["segmenters"]
    width = min(60.0, max(6.0, 0.3 * len(classes) * max(1, len(methods)) / 2 + 2))
    fig, axes = plt.subplots(len(segs), 1, figsize=(width, 3.2 * len(segs)), squeeze=False)
    x = np.arange(len(classes))
    bar = 0.8 / len(methods)
    for ax, seg in zip(axes[:, 0], segs, strict=True):
        for k, m in enumerate(methods):
            ious = results["methods"][m]["segmenters"][seg]["per_class_iou"]
            miou = results["methods"][m]["segmenters"][seg]["miou"]
            ax.bar(
                x + (k - (len(methods) - 1) / 2) * bar,
                [100 * ious.get(c, 0) for c in classes],
                bar,
                label=f"{m} (mIoU {100 * miou:.1f})",
            )
        ax.set_xticks(x, classes, rotation=90 if len(classes) > 8 else 0, fontsize=7)
        ax.set_ylim(0, 100)
        ax.set_ylabel("IoU (%)")
        ax.set_title(f"{cfg['shots']}-shot per-class IoU, {seg} segmenter")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def check_output_dir(out: Path, overwrite: bool) -> None:
    """Refuse to replace an earlier run's files unless asked to."""
    existing = [out / f for f in OUTPUT_FILES if (out / f).exists()]
    if existing and not overwrite:
        raise SamicError(f"{existing[0]} already exists; choose another --out or pass --overwrite")


def write_report(results: dict[str, Any], out: str | Path, overwrite: bool = False) -> list[Path]:
    """results.json, results.md and iou_per_class.png in `out`; returns their paths."""
    out = Path(out)
    check_output_dir(out, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / RESULTS_JSON, out / RESULTS_MD, out / CHART_PNG]
    atomic_write_json(paths[0], results)
    atomic_write_text(paths[1], markdown_report(results))
    iou_chart(results, paths[2])
    return paths
