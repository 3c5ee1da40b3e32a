"""Where finished figure exports are kept: `<instance>/exports/org-<id>/`, one ZIP per job.

Web and worker share the instance folder (as they share the embedded database), so the
worker writes the file and the web app serves it. The job row stores the absolute path it
wrote, so a web process whose instance folder differs (tests) still finds it.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from flask import current_app


def export_folder(organisation_id: int) -> Path:
    folder = Path(current_app.instance_path) / "exports" / f"org-{organisation_id}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def remove_export_files(paths: Iterable[str | None]) -> None:
    """Delete the files (missing ones are fine: deleting twice is not an error)."""
    for path in paths:
        if path:
            with contextlib.suppress(FileNotFoundError):
                Path(path).unlink()
