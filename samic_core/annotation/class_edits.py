"""Renaming and removing a class: explicit operations on what is on disk, under the folder lock.

A rename changes the name in classes.json and in every annotation that uses it (labels and the
semantic mask's recorded class list), and is recorded in class_renames.json for writers that
started before it; a removal is refused while an annotation uses the class
and rewrites the semantic masks whose values shift. Other writers' classes are never lost.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from samic_core.annotation.classes import (
    ClassInUseError,
    check_classes,
    read_renames,
    with_rename,
    write_classes,
    write_renames,
)
from samic_core.errors import AnnotationError
from samic_core.fileio import atomic_write_json

if TYPE_CHECKING:
    from samic_core.annotation.store import AnnotationStore

log = logging.getLogger(__name__)


def rename_class(store: AnnotationStore, old: str, new: str) -> list[str]:
    """Rename a class in classes.json and in every annotation that uses it; the new list."""
    with store.lock():
        classes = store.load_classes()
        if old not in classes:
            raise ValueError(f"{store.classes_path}: no class {old!r}")
        if new in classes:
            raise ValueError(f"{store.classes_path}: class {new!r} exists already")
        renamed = [new if c == old else c for c in classes]
        check_classes(renamed)
        for path in store.annotation_files():
            try:
                ann = store.load_json_file(path)
            except AnnotationError as e:
                log.warning("not renamed in a damaged file: %s", e)
                continue
            if not any(o.label == old for o in ann.objects):
                continue
            for o in ann.objects:
                if o.label == old:
                    o.label = new
            if ann.masks is not None:
                ann.masks.classes = [new if c == old else c for c in ann.masks.classes]
            atomic_write_json(path, ann.model_dump(mode="json"))
        write_classes(store.classes_path, renamed)
        write_renames(store.renames_path, with_rename(read_renames(store.renames_path), old, new))
        return renamed


def class_users(store: AnnotationStore, label: str) -> list[str]:
    """Images whose saved annotation has an object of class `label`."""
    users = []
    for path in store.annotation_files():
        try:
            ann = store.load_json_file(path)
        except AnnotationError:
            continue
        if any(o.label == label for o in ann.objects):
            users.append(ann.image)
    return users


def remove_class(store: AnnotationStore, label: str) -> list[str]:
    """Remove an unused class, rewrite the semantic masks whose values shift; the new list."""
    with store.lock():
        users = class_users(store, label)
        if users:
            more = " and more" if len(users) > 5 else ""
            raise ClassInUseError(
                f"the class {label!r} is still used in {', '.join(users[:5])}{more}"
            )
        classes = store.load_classes()
        if label not in classes:
            return classes
        remaining = [c for c in classes if c != label]
        write_classes(store.classes_path, remaining)
        renames = read_renames(store.renames_path)
        write_renames(store.renames_path, {k: v for k, v in renames.items() if v != label})
        for path in store.annotation_files():
            try:
                image = store.load_json_file(path).image
                loaded = store.load(image, verify_image=False)
                store.save(loaded.annotation, loaded.instances)
            except (AnnotationError, OSError) as e:
                log.warning("semantic mask of %s not rewritten: %s", path.name, e)
        return remaining
