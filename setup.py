"""Packaging glue pyproject.toml cannot say: the top-level resources/ folder (icons, palette)
ships inside the wheel as the package data `sambox.resources` (found by sambox/assets.py)."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["samic_core*", "sambox*"]),
        "sambox.resources",
        "sambox.resources.icons",
    ],
    package_dir={"sambox.resources": "resources"},
)
