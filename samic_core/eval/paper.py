"""The paper's published numbers, printed beside measured ones as clearly labelled references.

All values are 1-shot, in %, copied from the paper's text (tables 1, 3 and 4): mIoU for the
image benchmarks, J&F for DAVIS. Table 1 methods use SAM as the segmenter; PerSAM with ViT-H,
Matcher with ViT-G. "n/a" entries of the paper are left out. † in the paper (SegGPT was trained
on the COCO and Pascal test sets) is kept in the label.
"""

from __future__ import annotations

from typing import Any

# benchmark -> (metric, {published method: value}); our method names map through METHOD_LABELS.
PAPER: dict[str, tuple[str, dict[str, float]]] = {
    "coco20i": ("mIoU", {
        "SAMIC": 53.1, "PerSAM (ViT-H)": 23.0, "Matcher (ViT-G)": 52.7, "HSNet (ResNet-101)": 41.2,
        "VAT": 41.3, "FPTrans": 47.0, "Painter": 33.1, "SegGPT†": 56.1,
    }),
    "pascal5i": ("mIoU", {
        "SAMIC": 80.4, "PerSAM (ViT-H)": 29.8, "Matcher (ViT-G)": 76.9, "HSNet (ResNet-101)": 68.7,
        "VAT": 72.4, "FPTrans": 77.7, "Painter": 64.5, "SegGPT†": 83.2,
    }),
    "fss": ("mIoU", {
        "SAMIC": 89.0, "PerSAM (ViT-H)": 71.2, "Matcher (ViT-G)": 87.0, "HSNet (ResNet-101)": 86.5,
        "VAT": 90.3, "Painter": 61.7, "SegGPT": 85.6,
    }),
    "perseg": ("mIoU", {"SAMIC": 97.5, "PerSAM (ViT-H)": 86.1, "Matcher (ViT-G)": 86.6}),
    "tsmu": ("mIoU", {"SAMIC": 88.2, "PerSAM (ViT-H)": 36.3, "Matcher (ViT-G)": 52.9}),
    "nwpu": ("mIoU", {"SAMIC": 70.1, "PerSAM (ViT-H)": 23.1, "Matcher (ViT-G)": 51.6}),
    "kvasir": ("mIoU", {
        "SAMIC": 69.3, "PerSAM (ViT-H)": 45.8, "Matcher (ViT-G)": 63.5, "SS-Former-S": 86.8,
        "SS-Former-S + PRN": 89.1, "Painter": 37.2, "SegGPT": 43.7,
    }),
    "davis16": ("J&F", {
        "SAMIC": 87.2, "Matcher (ViT-G)": 86.1, "SWEM": 91.3, "XMem": 92.0, "Painter": 70.3,
        "SegGPT": 83.7,
    }),
    "davis17": ("J&F", {
        "SAMIC": 80.6, "PerSAM (ViT-H)": 60.3, "Matcher (ViT-G)": 79.5, "SWEM": 84.3,
        "XMem": 87.7, "Painter": 34.6, "SegGPT": 75.6,
    }),
}  # fmt: skip
BENCHMARKS = tuple(PAPER)
METHOD_LABELS = {"samic": "SAMIC", "persam": "PerSAM (ViT-H)"}
COLUMN = "paper (1-shot, SAM)"
# The paper's COCO-20i and Pascal-5i numbers are means over the 4 folds, not one fold's.
FOLD_MEANS = ("coco20i", "pascal5i")


def column(benchmark: str | None) -> str:
    """The paper column's header; it says when the value is a 4-fold mean."""
    return "paper (1-shot, SAM, 4-fold mean)" if benchmark in FOLD_MEANS else COLUMN


def shows_paper(results: dict[str, Any]) -> bool:
    """The paper's numbers go beside a run only when it used the reference list (results'
    `list` is "standard") and SAM segmented (the paper's numbers are SAM's)."""
    return results.get("list") == "standard" and "sam" in results["config"]["segmenters"]


def default_benchmark(format: str, year: int | None = None) -> str | None:
    """The paper's benchmark a dataset format stands for; folders must be named (--benchmark)."""
    if format == "davis":
        return f"davis{(year or 0) % 100}"
    return format if format in PAPER else None


def paper_value(benchmark: str | None, method: str, shots: int) -> float | None:
    """The paper's number for one of our methods, or None (other shots, no entry)."""
    if benchmark is None or shots != 1 or method not in METHOD_LABELS:
        return None
    return PAPER.get(benchmark, ("", {}))[1].get(METHOD_LABELS[method])


def reference_lines(benchmark: str | None, shots: int) -> list[str]:
    """Markdown lines listing every published 1-shot number of the benchmark (or none)."""
    if benchmark is None or benchmark not in PAPER or shots != 1:
        return []
    metric, values = PAPER[benchmark]
    rows = " | ".join(f"{k} {v:.1f}" for k, v in values.items())
    means = ", means of the 4 folds" if benchmark in FOLD_MEANS else ""
    return [
        f"Paper's published 1-shot {metric} on {benchmark} (%, tables 1, 3, 4{means}; reference "
        f"only, not measured here): {rows}."
    ]


def list_line(results: dict[str, Any]) -> str:
    """One line saying which episode list the run used, and what that means for comparing."""
    note = results.get("list_note") or ""
    if results.get("list") == "standard":
        return f"Episode list: standard ({note})."
    return (
        f"Episode list: **non-standard list** ({note}); its numbers are not comparable with the "
        "paper's, which are not shown beside them."
    )


def describe(benchmark: str | None) -> dict[str, Any] | None:
    if benchmark is None or benchmark not in PAPER:
        return None
    metric, values = PAPER[benchmark]
    return {"benchmark": benchmark, "metric": metric, "shots": 1, "values": dict(values)}
