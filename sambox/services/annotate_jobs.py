"""The bodies of SamicService's prediction jobs that need no service state: the app's peak
choice as a rule, an "All classes" batch, and the core's reports as plain outcomes.

Plain functions of values, run on the prediction worker thread (as sam_jobs.py for SamService).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sambox.model.samic_info import AutoAnnotateOutcome, AutoAnnotateRequest
from samic_core.annotation import AnnotationStore

if TYPE_CHECKING:  # the core (torch, OpenCV) loads on the worker thread, inside the jobs
    from samic_core.peaks import PeakRule
    from samic_core.predict.predictor import SamicPredictor
    from samic_core.predict.saving import AutoAnnotateReport
    from samic_core.sam.click_engine import ClickEngine


def peak_rule(peaks: str) -> PeakRule | None:
    """The core's PeakRule for the app's choice; None = the model's own default."""
    from samic_core.peaks import PeakRule

    return None if peaks == "model" else PeakRule.named(peaks)


def annotate_all_classes(
    predictor: SamicPredictor,
    engine: ClickEngine,
    request: AutoAnnotateRequest,
    progress: Callable[[int, int, str], None],
    should_stop: Callable[[], bool],
) -> AutoAnnotateOutcome:
    """Every class of request.all_classes in one pass over the images, each with its default
    references (the choice and object size of `samic predict`)."""
    from samic_core.predict.autoannotate import auto_annotate_classes
    from samic_core.predict.references import choose_references, encode_class_references

    refs = AnnotationStore(request.reference_folder)
    classes = {
        c: encode_class_references(predictor, refs, c, choose_references(refs, c))
        for c in request.all_classes
    }
    reports = auto_annotate_classes(
        predictor, engine, list(request.images), AnnotationStore(request.target_folder),
        classes, progress, should_stop, request.one_prompt, peak_rule(request.peaks),
    )  # fmt: skip
    return merged_outcome(list(reports.values()))


def merged_outcome(reports: list[AutoAnnotateReport]) -> AutoAnnotateOutcome:
    """One outcome for a run over several classes: an image is written when any class wrote
    it, empty when none found anything; the object counts add up."""
    written = list(dict.fromkeys(n for r in reports for n in r.written))
    failed = dict(pair for r in reports for pair in r.failed)
    empty_sets = [set(r.empty) for r in reports]
    empty = [n for n in reports[0].empty if all(n in e for e in empty_sets)] if reports else []
    return AutoAnnotateOutcome(
        written=tuple(written),
        skipped=tuple(reports[0].skipped_protected) if reports else (),
        empty=tuple(empty),
        failed=tuple((str(n), str(m)) for n, m in failed.items()),
        cancelled=any(r.cancelled for r in reports),
        objects=sum(int(r.objects) for r in reports),
    )


def outcome_of(report: AutoAnnotateReport) -> AutoAnnotateOutcome:
    """The core's AutoAnnotateReport as plain tuples of image names."""
    return AutoAnnotateOutcome(
        written=tuple(report.written),
        skipped=tuple(report.skipped_protected),
        empty=tuple(report.empty),
        failed=tuple((str(n), str(m)) for n, m in report.failed),
        cancelled=bool(report.cancelled),
        objects=int(report.objects),
    )
