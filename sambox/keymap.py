"""Every key and mouse binding in one table: the actions, the menus and the F1 help use it.

Defaults follow what annotators know from labelme, X-AnyLabeling, ISAT and CVAT
(D/A next/previous, right click negative, Ctrl+Z/Ctrl+Shift+Z, V toggles masks, 1-9 classes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Binding:
    action: str  # action id ("" for mouse-only rows)
    text: str  # menu text
    keys: tuple[str, ...]  # QKeySequence strings; the first is shown in menus
    group: str
    help: str = ""


BINDINGS: tuple[Binding, ...] = (
    # File
    Binding("open_folder", "&Open Folder…", ("Ctrl+O",), "File"),
    Binding("open_video", "Open &Video…", ("Ctrl+Shift+O",), "File", "its frames, as a clip"),
    Binding("save", "&Save", ("Ctrl+S",), "File", "write JSON + PNG masks now"),
    Binding("import_labels", "&Import Annotations…", ("Ctrl+I",), "File", "COCO or LabelMe"),
    Binding("export", "&Export Annotations…", ("Ctrl+E",), "File", "COCO, VOC, YOLO, LabelMe"),
    Binding("settings", "Se&ttings…", ("Ctrl+,",), "File"),
    Binding("quit", "&Quit", ("Ctrl+Q",), "File", "saves first (autosave)"),
    # Prompts and objects
    Binding("", "Positive point", ("Left click",), "Prompts", "part of the object"),
    Binding("", "Negative point", ("Right click", "Shift+Left click"), "Prompts", "not the object"),
    Binding("", "Box", ("Ctrl+Left drag",), "Prompts", "or any left drag with the box tool"),
    Binding("box_tool", "&Box Tool", ("W",), "Prompts", "left drag draws a box"),
    Binding(
        "next_candidate", "Next Candidate Mask", ("Tab",), "Prompts", "single click: SAM's 3 masks"
    ),
    Binding("prev_candidate", "Previous Candidate Mask", ("Shift+Tab",), "Prompts"),
    Binding("delete_point", "Delete &Last Point", ("Backspace",), "Prompts"),
    Binding(
        "clear_object",
        "&Clear Object",
        ("Esc",),
        "Prompts",
        "in a tool: leave it; hand edits: asks first",
    ),
    Binding("new_object", "&New Object", ("N",), "Objects", "start the next instance"),
    Binding("delete_object", "&Delete Object", ("Del",), "Objects"),
    Binding("", "Pick class", ("1 … 9",), "Objects", "class of the current object"),
    Binding("undo", "&Undo", ("Ctrl+Z",), "Edit", "every prompt, mask and object edit"),
    Binding("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit"),
    # Correcting masks by hand (sambox/widgets/mask_tools_ui.py)
    Binding("brush_tool", "B&rush", ("B",), "Mask edits", "left drag paints the selected mask"),
    Binding("eraser_tool", "&Eraser", ("E",), "Mask edits", "left drag erases from it"),
    Binding("polygon_tool", "&Polygon", ("C",), "Mask edits", "click vertices: a new object"),
    Binding("cut_tool", "C&ut Polygon", ("Shift+C",), "Mask edits", "cut a region out"),
    Binding("", "Close / cancel polygon", ("Enter", "Double click", "Esc"), "Mask edits"),
    Binding("brush_smaller", "Smaller Brush", ("[",), "Mask edits", "or Ctrl+wheel"),
    Binding("brush_bigger", "Bigger Brush", ("]",), "Mask edits", "or Ctrl+wheel"),
    # Images
    Binding("next_image", "&Next Image", ("D", "Right"), "Images", "saves first"),
    Binding("prev_image", "&Previous Image", ("A", "Left"), "Images", "saves first"),
    Binding("done_next", "Mark &Done and Next", ("Ctrl+Return",), "Images", "next unfinished"),
    Binding("toggle_done", "Toggle Done", ("Ctrl+D",), "Images"),
    # Clips (sambox/widgets/clip_ui.py): a folder of frames, or a video's frames
    Binding("track_clip", "&Track Objects Through Clip…", ("Ctrl+K",), "Video",
            "annotated objects to every frame"),  # fmt: skip
    # View
    Binding("zoom_in", "Zoom &In", ("+", "="), "View"),
    Binding("zoom_out", "Zoom &Out", ("-",), "View"),
    Binding("fit", "&Fit to Window", ("F", "Ctrl+F"), "View"),
    Binding("", "Zoom", ("Mouse wheel",), "View", "around the cursor"),
    Binding("", "Pan", ("Middle drag", "Space+drag"), "View"),
    Binding("toggle_masks", "Show &Masks", ("V",), "View"),
    Binding("opacity_down", "Overlay More Transparent", ("{",), "View", "Shift+["),
    Binding("opacity_up", "Overlay More Opaque", ("}",), "View", "Shift+]"),
    # SAMIC: learn prompts from the annotated images, predict, review (sambox/widgets/samic_ui.py)
    Binding("train_samic", "&Train SAMIC…", ("Ctrl+T",), "SAMIC", "learn from annotated images"),
    Binding("suggest_prompts", "Su&ggest Prompts", ("P",), "SAMIC", "SAMIC points + masks here"),
    Binding("auto_annotate", "&Auto-annotate…", ("Ctrl+B",), "SAMIC", "predict many images"),
    Binding("accept_review", "&Accept Predictions", ("Y",), "Review", "reviewed + done, then next"),
    Binding("reject_review", "&Reject Predictions", ("Shift+Del",), "Review", "drop unreviewed"),
    Binding("next_unreviewed", "&Next to Review", ("Ctrl+Shift+D",), "Review", "saves first"),
    Binding("prev_unreviewed", "&Previous to Review", ("Ctrl+Shift+A",), "Review"),
    Binding("", "Fix a prediction", ("Select, then click",), "Review", "re-segments; reviewed"),
    Binding("shortcuts", "&Keyboard Shortcuts", ("F1", "?"), "Help"),
)

CLASS_KEYS = tuple(str(i) for i in range(1, 10))


def binding(action: str) -> Binding:
    return next(b for b in BINDINGS if b.action == action)
