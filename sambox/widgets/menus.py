"""Which actions (keymap ids) the menus and the main toolbar show, in order; None = separator."""

from __future__ import annotations

MENUS: dict[str, list[str | None]] = {
    "&File": [
        "open_folder",
        "save",
        None,
        "import_labels",
        "export",
        None,
        "settings",
        None,
        "quit",
    ],
    "&Edit": [
        "undo",
        "redo",
        None,
        "new_object",
        "delete_object",
        "clear_object",
        "delete_point",
        None,
        "box_tool",
        "next_candidate",
        "prev_candidate",
    ],
    "&Image": ["next_image", "prev_image", "done_next", "toggle_done"],
    "&View": ["zoom_in", "zoom_out", "fit", None, "toggle_masks", "opacity_down", "opacity_up"],
    "&Help": ["shortcuts"],
}
TOOLBAR: list[str | None] = [
    "open_folder",
    "save",
    None,
    "prev_image",
    "next_image",
    "done_next",
    None,
    "box_tool",
    "new_object",
    "undo",
    "redo",
    None,
    "fit",
    "toggle_masks",
]
