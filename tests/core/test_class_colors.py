"""Class colours (samic_core.annotation.colors): stable automatic colours, tolerant reading."""

from __future__ import annotations

import json

import pytest

from samic_core.annotation.colors import (
    PALETTE,
    auto_color,
    class_colors,
    color_of,
    load_class_colors,
    save_class_colors,
    to_rgb,
)
from samic_core.errors import AnnotationError


def test_automatic_colours_are_fixed_by_class_order():
    # the same classes.json gives the same colours in every session and on every machine
    assert class_colors(["cat", "dog"], {}) == {"cat": "#1f9bff", "dog": "#ff7f0e"}
    assert auto_color(len(PALETTE)) == auto_color(0)  # the palette repeats
    assert class_colors(["cat", "dog"], {"dog": "#000000"})["dog"] == "#000000"
    # a label missing from classes.json still gets a colour that depends only on its name
    assert color_of("zebra", ["cat"], {}) == color_of("zebra", ["cat"], {})
    assert to_rgb("#ff8000") == (255, 128, 0)
    with pytest.raises(ValueError):
        to_rgb("orange")


def test_chosen_colours_round_trip_atomically(tmp_path):
    path = tmp_path / "annotations" / "class_colors.json"
    assert load_class_colors(path) == {}
    save_class_colors(path, {"dog": "#AABBCC", "cat": "#010203"})
    assert json.loads(path.read_text()) == {"cat": "#010203", "dog": "#aabbcc"}
    assert load_class_colors(path) == {"cat": "#010203", "dog": "#aabbcc"}
    assert [p.name for p in path.parent.iterdir()] == ["class_colors.json"]  # no temp left
    with pytest.raises(ValueError):
        save_class_colors(path, {"cat": "red"})
    assert load_class_colors(path)["cat"] == "#010203"  # nothing written


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "malformed JSON"),
        ('["#ffffff"]', "JSON object"),
        ('{"cat": 3}', "#rrggbb"),
        ('{"cat": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_damaged_file_names_the_file_and_the_problem(tmp_path, text, problem):
    path = tmp_path / "class_colors.json"
    path.write_text(text)
    with pytest.raises(AnnotationError) as e:
        load_class_colors(path)
    assert str(path) in str(e.value) and problem in str(e.value)
    assert "\n" not in str(e.value) and len(str(e.value)) < 400  # one short line
