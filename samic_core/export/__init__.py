"""Export annotations as COCO, Pascal VOC, YOLO segmentation or LabelMe; import COCO, LabelMe."""

from samic_core.export.api import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    export_descriptions,
    export_folder,
    import_descriptions,
    import_folder,
)
from samic_core.export.common import ExportReport, ImportReport

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ExportReport",
    "ImportReport",
    "export_descriptions",
    "export_folder",
    "import_descriptions",
    "import_folder",
]
