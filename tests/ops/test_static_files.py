"""Static files under hashed names, kept a year by browsers; the plain names still work."""

from __future__ import annotations

import re

from app.web.static_files import build_manifest


def test_pages_point_to_hashed_names_served_for_a_year(client):
    page = client.get("/auth/login").get_data(as_text=True)
    href = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', page).group(1)
    with client.get(href) as hashed, client.get("/static/css/app.css") as plain:
        assert hashed.status_code == 200 and b"--brand" in hashed.data
        assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert plain.status_code == 200 and plain.data == hashed.data
        assert "max-age=0" in plain.headers["Cache-Control"]


def test_unknown_and_escaping_names_are_not_found(client):
    for path in (
        "/static/css/app.0000000000.css",
        "/static/nothing.js",
        "/static/../config.py",
        "/static/%2e%2e/config.py",
    ):
        with client.get(path) as response:
            assert response.status_code == 404, path


def test_a_changed_file_gets_a_new_name(tmp_path):
    (tmp_path / "js").mkdir()
    script = tmp_path / "js" / "survey.js"
    script.write_text("one")
    first = build_manifest(tmp_path).hashed["js/survey.js"]
    script.write_text("two")
    second = build_manifest(tmp_path).hashed["js/survey.js"]
    assert first != second and re.fullmatch(r"js/survey\.[0-9a-f]{10}\.js", second)
    assert build_manifest(tmp_path).original[second] == "js/survey.js"
