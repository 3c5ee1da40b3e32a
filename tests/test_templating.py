"""Template helpers (orgwell/templating.py)."""
from __future__ import annotations

import re


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


def _nav_links(body: str) -> list[str]:
    header = body.split("<header>", 1)[1].split("</header>", 1)[0]
    return re.findall(r'<a class="nav-link( active)?"[^>]*>([^<]+)</a>', header)


def test_a_visitors_header_shows_the_active_page_and_follows_the_settings(app, client):
    assert app.config["SHOW_DEV_MAIL"]
    app.config["PUBLIC_SIGNUP"] = True
    outbox = ("", "Dev outbox")
    assert _nav_links(client.get("/login").get_data(as_text=True)) == [
        outbox, (" active", "Log in"), ("", "Sign up")]
    assert _nav_links(client.get("/signup").get_data(as_text=True)) == [
        outbox, ("", "Log in"), (" active", "Sign up")]
    assert _nav_links(client.get("/s/no-such-link").get_data(as_text=True)) == [
        outbox, ("", "Log in"), ("", "Sign up")]
    app.config["PUBLIC_SIGNUP"] = False
    assert _nav_links(client.get("/login").get_data(as_text=True)) == [
        outbox, (" active", "Log in")]


def test_a_logged_in_header_is_the_persons_own(app, client, auth, world):
    auth.login(world["owner_x"].email)
    body = client.get("/", follow_redirects=True).get_data(as_text=True)
    header = body.split("<header>", 1)[1].split("</header>", 1)[0]
    assert world["owner_x"].email in header and "Log out" in header
    assert "Log in" not in header
