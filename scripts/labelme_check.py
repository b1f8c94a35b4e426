"""Check a LabelMe export with LabelMe's own reader (a measurement, not part of the tests).

LabelMe is not a dependency: install it in a throwaway venv, then

    python scripts/labelme_check.py export FOLDER OUT        # SAMIC's venv: export + masks
    /tmp/lm/bin/python scripts/labelme_check.py measure OUT  # LabelMe's venv: IoU per object

`export` writes the LabelMe export of FOLDER to OUT and every exported object's mask to
OUT/expected.npz; `measure` reads OUT with labelme.LabelFile and rasterises each shape with
labelme.utils (shapes_to_label), grouping shapes as LabelMe does, and prints the IoU of each
object with its mask.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def export(folder: Path, out: Path) -> None:
    from samic_core.annotation import AnnotationStore
    from samic_core.export import export_folder

    export_folder(folder, "labelme", out)
    store = AnnotationStore(folder)
    masks = {}
    for path in store.annotation_files():
        loaded = store.load(store.load_json_file(path).image)
        for obj in loaded.annotation.objects:
            if obj.source == "manual" or obj.reviewed:
                key = f"{Path(loaded.annotation.image).stem}#{obj.id}"
                masks[key] = loaded.instances == obj.id
    np.savez_compressed(out / "expected.npz", **masks)
    print(f"exported {len(masks)} objects to {out}")


def measure(out: Path) -> None:
    import labelme

    try:
        from labelme.label_file import LabelFile  # LabelMe 5
    except ImportError:
        from labelme._label_file import LabelFile  # LabelMe 6
    from labelme.utils import shapes_to_label

    expected = np.load(out / "expected.npz")
    ious = []
    for jpath in sorted(out.glob("*.json")):
        lf = LabelFile(str(jpath))
        data = json.loads(jpath.read_text())
        h, w = data["imageHeight"], data["imageWidth"]
        names = {s["label"] for s in lf.shapes}
        _, ins = shapes_to_label((h, w), lf.shapes, {n: i + 1 for i, n in enumerate(sorted(names))})
        keys = [k for k in expected.files if k.split("#")[0] == jpath.stem]
        for k, key in enumerate(keys):
            want = expected[key]
            got = ins == k + 1
            iou = (got & want).sum() / max((got | want).sum(), 1)
            ious.append(iou)
            print(f"{key}: IoU {iou:.4f}")
    print(f"labelme {labelme.__version__}: {len(ious)} objects, min IoU {min(ious):.4f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["export"]:
        export(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1:2] == ["measure"]:
        measure(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
