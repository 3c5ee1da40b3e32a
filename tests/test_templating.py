"""Template helpers (orgwell/templating.py)."""
from __future__ import annotations


def _asset_lines(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if "/bootstrap/static/" in line]


def test_bootstrap_tags_are_built_once_per_mount_point(app, client):
    plain = _asset_lines(client.get("/login").get_data(as_text=True))
    assert plain == [
        '<link rel="stylesheet" href="/bootstrap/static/css/bootstrap.min.css">',
        '<script src="/bootstrap/static/umd/popper.min.js"></script>',
        '<script src="/bootstrap/static/js/bootstrap.min.js"></script>',
    ]
    # The same app mounted under a prefix (a reverse proxy's SCRIPT_NAME) links under it.
    mounted = client.get("/ow/login", base_url="http://localhost/ow").get_data(as_text=True)
    prefixed = [line.replace('"/bootstrap', '"/ow/bootstrap') for line in plain]
    assert _asset_lines(mounted) == prefixed
    assert _asset_lines(client.get("/login").get_data(as_text=True)) == plain
