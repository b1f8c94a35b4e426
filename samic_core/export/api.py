"""The two entry points the CLI and the app call: `export_folder` and `import_folder`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from samic_core.annotation import AnnotationStore
from samic_core.errors import SamicError
from samic_core.export.coco import COCO_SOURCE_DESCRIPTION, CocoWriter, coco_source
from samic_core.export.common import (
    Cancelled,
    ExportItem,
    ExportReport,
    ImportReport,
    ImportSource,
    Progress,
    ShouldStop,
    annotation_files,
    exported_image_names,
    load_item,
    output_stems,
    staged_output,
    used_labels,
)
from samic_core.export.davis import DavisWriter
from samic_core.export.importing import write_source
from samic_core.export.labelme import LABELME_SOURCE_DESCRIPTION, LabelmeWriter, labelme_source
from samic_core.export.voc import VocWriter
from samic_core.export.yolo import YoloWriter


class Writer(Protocol):
    def add(self, item: ExportItem) -> None: ...
    def finish(self) -> None: ...


class WriterClass(Protocol):
    """A writer's class: one line saying what its format is, and its constructor."""

    description: str

    def __call__(self, out: Path, classes: list[str], report: ExportReport) -> Writer: ...


# A new export format is one writer module plus one line here; its class carries the
# description the app's dialog and `samic export --help` show.
WRITERS: dict[str, WriterClass] = {
    "coco": CocoWriter,
    "voc": VocWriter,
    "yolo": YoloWriter,
    "labelme": LabelmeWriter,
    "davis": DavisWriter,
}
READERS: dict[str, Callable[[Path], ImportSource]] = {
    "coco": coco_source,
    "labelme": labelme_source,
}
EXPORT_FORMATS = tuple(WRITERS)
IMPORT_FORMATS = tuple(READERS)
_IMPORT_DESCRIPTIONS = {"coco": COCO_SOURCE_DESCRIPTION, "labelme": LABELME_SOURCE_DESCRIPTION}


def export_descriptions() -> dict[str, str]:
    """{format: one line saying what it is}, read from each writer class in WRITERS' order (the
    app's export dialog and `samic export --help` list them)."""
    return {name: writer.description for name, writer in WRITERS.items()}


def import_descriptions() -> dict[str, str]:
    """{format: one line saying what it reads}, from beside each reader, in READERS' order."""
    return {name: _IMPORT_DESCRIPTIONS[name] for name in READERS}


def export_folder(
    folder: str | Path,
    fmt: str,
    out: str | Path,
    include_unreviewed: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ExportReport:
    """Export the annotations of image folder `folder` as `fmt` into the folder `out`.

    All or nothing: OUT is built in a hidden sibling folder and renamed into place at the end,
    so an error (named file and problem) or a stop request leaves OUT as it was. Predicted
    objects nobody reviewed are left out unless `include_unreviewed`. `progress(done, total,
    image name)` is called after each image; `should_stop()` is polled before each image and a
    stop returns a report with `cancelled` set. No two images share an output file: where
    stems collide (a.jpg, a.png) the full name is the base name (docs/export.md).
    """
    if fmt not in WRITERS:
        raise SamicError(f"unknown export format {fmt!r}; choose one of {', '.join(WRITERS)}")
    folder = Path(folder)
    if not folder.is_dir():
        raise SamicError(f"{folder}: image folder does not exist")
    store = AnnotationStore(folder)
    files = annotation_files(store)
    classes = store.classes_for(used_labels(store, files))  # classes.json + labels it lacks
    stems = output_stems(exported_image_names(store, files))  # a.jpg, a.png: never one file
    report = ExportReport(format=fmt, out=Path(out))
    try:
        with staged_output(Path(out), overwrite=overwrite, protect=(folder, store.dir)) as stage:
            writer: Writer = WRITERS[fmt](stage, classes, report)
            for i, path in enumerate(files):
                if should_stop is not None and should_stop():
                    raise Cancelled
                item = load_item(store, path, include_unreviewed, report)
                if item is not None:
                    item.out_stem = stems.get(item.annotation.image)
                    writer.add(item)
                    report.images += 1
                    report.objects += len(item.objects)
                if progress is not None:
                    progress(i + 1, len(files), path.name.removesuffix(".json"))
            writer.finish()
    except Cancelled:
        report.cancelled = True
        return report
    report.unannotated_images = sum(1 for p in store.images() if not store.exists(p.name))
    return report


def import_folder(
    src: str | Path,
    fmt: str,
    folder: str | Path,
    overwrite: bool = False,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ImportReport:
    """Bring the labels of `src` (a COCO JSON, or a LabelMe folder / file) into `folder`.

    Each object becomes a manual, reviewed object with its mask and no prompts, saved with
    AnnotationStore. The whole source is checked first (its images must be in `folder` with the
    stated size), so bad input writes nothing. An image that already has an annotation is
    skipped and listed in `skipped_existing` unless `overwrite`.
    """
    if fmt not in READERS:
        raise SamicError(f"unknown import format {fmt!r}; choose one of {', '.join(READERS)}")
    src, folder = Path(src), Path(folder)
    if not folder.is_dir():
        raise SamicError(f"{folder}: image folder does not exist")
    source = READERS[fmt](src)
    report = ImportReport(format=fmt, folder=folder)
    try:
        write_source(source, src, AnnotationStore(folder), report, overwrite, progress, should_stop)
    except Cancelled:
        report.cancelled = True
    return report
