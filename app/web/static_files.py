"""Static files under names that carry a hash of their content (`css/app.3f09c2a1e7.css`),
so that browsers and proxies keep them for a year and still never use a stale copy: a
changed file gets a new name, and the pages point to it.

`url_for("static", filename="css/app.css")` gives the hashed name; the hashed name is
served with `Cache-Control: public, max-age=31536000, immutable`; the plain name still
works (bookmarks) and is revalidated each time. Files are read from `static/` at the
project's root; the app is made without Flask's own static route.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, abort, send_from_directory

YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Manifest:
    hashed: dict[str, str]  # "css/app.css" -> "css/app.<hash>.css"
    original: dict[str, str]  # the reverse


def build_manifest(folder: Path) -> Manifest:
    hashed: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        stem, dot, suffix = name.rpartition(".")
        hashed[name] = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
    return Manifest(hashed, {v: k for k, v in hashed.items()})


def register_static_files(app: Flask, folder: Path, url_path: str = "/static") -> None:
    """The static route, knowing the hashed names. In debug mode the manifest is rebuilt on
    each use, so an edited file shows at once."""
    built = build_manifest(folder)

    def manifest() -> Manifest:
        return build_manifest(folder) if app.debug else built

    @app.url_defaults
    def hashed_name(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest().hashed.get(values["filename"], values["filename"])

    def static(filename: str):
        names = manifest()
        if filename in names.original:
            response = send_from_directory(folder, names.original[filename], max_age=YEAR)
            response.cache_control.public = True
            response.cache_control.immutable = True
            return response
        if filename in names.hashed:
            return send_from_directory(folder, filename, max_age=0)
        abort(404)

    app.add_url_rule(f"{url_path}/<path:filename>", endpoint="static", view_func=static)
