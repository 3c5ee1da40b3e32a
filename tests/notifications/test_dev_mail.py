"""The development mailbox at /dev/mail: list, filter, message, and the framed HTML body."""
from __future__ import annotations

from datetime import timedelta

import pytest

from orgwell import create_app
from orgwell.database import utcnow
from orgwell.notifications.models import DevMail
from orgwell.notifications.views import HTML_BODY_CSP, linkify

FULL_HTML = "<!doctype html><html><body><p>Old</p></body></html>"
FRAGMENT = '<p style="color:red"><a href="http://x.test/">go</a></p>'


@pytest.fixture
def mails(db):
    now = utcnow()
    rows = [
        DevMail(
            to_addr=to,
            from_addr="OrgWell <no-reply@orgwell.local>",
            subject=subject,
            text_body=f"Hello,\nopen http://orgwell.test/{subject.lower()}.\n<b>not bold</b>",
            html_body=html,
            delivered_at=now - timedelta(minutes=minutes),
        )
        for to, subject, html, minutes in [
            ("alice@example.com", "Oldest", FULL_HTML, 30),
            ("bob@example.com", "Middle", None, 20),
            ("Alice@Example.com", "Newest", FRAGMENT, 10),
        ]
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_list_is_newest_first(client, mails):
    page = client.get("/dev/mail/").get_data(as_text=True)
    assert page.index("Newest") < page.index("Middle") < page.index("Oldest")
    assert f'href="/dev/mail/{mails[1].id}"' in page


def test_filter_by_recipient(client, mails):
    page = client.get("/dev/mail/?to=alice@").get_data(as_text=True)
    assert "Newest" in page and "Oldest" in page
    assert "Middle" not in page
    assert 'value="alice@"' in page


def test_filter_without_match(client, mails):
    page = client.get("/dev/mail/?to=nobody%25").get_data(as_text=True)
    assert "No mail to an address containing" in page


def test_message_page(client, mails):
    mail = mails[0]
    response = client.get(f"/dev/mail/{mail.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Oldest" in page
    assert "OrgWell &lt;no-reply@orgwell.local&gt;" in page
    assert "alice@example.com" in page
    assert mail.delivered_at.strftime("%d %b %Y %H:%M UTC") in page
    # Links in the text body are clickable; the trailing full stop is not part of them.
    assert '<a href="http://orgwell.test/oldest" rel="noreferrer">' in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert f'src="/dev/mail/{mail.id}/html"' in page
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page


def test_message_without_html_has_no_frame(client, mails):
    page = client.get(f"/dev/mail/{mails[1].id}").get_data(as_text=True)
    assert "<iframe" not in page
    assert client.get(f"/dev/mail/{mails[1].id}/html").status_code == 404


def test_html_body_has_its_own_policy(client, mails):
    response = client.get(f"/dev/mail/{mails[2].id}/html")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    csp = response.headers["Content-Security-Policy"]
    assert csp == HTML_BODY_CSP
    assert "style-src 'unsafe-inline'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    body = response.get_data(as_text=True)
    assert body.startswith('<base target="_blank"><p style="color:red">')


def test_html_body_base_goes_inside_the_document(client, mails):
    body = client.get(f"/dev/mail/{mails[0].id}/html").get_data(as_text=True)
    assert body.startswith('<!doctype html><html><base target="_blank"><body>')


def test_the_app_pages_keep_the_strict_policy(client, mails):
    csp = client.get(f"/dev/mail/{mails[0].id}").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


def test_unknown_message_is_404(client, mails):
    assert client.get("/dev/mail/999").status_code == 404
    assert client.get("/dev/mail/999/html").status_code == 404


def test_absent_unless_enabled(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
            "BROKER_URL": f"orgwellsqla+sqlite:///{tmp_path}/broker.sqlite",
            "SHOW_DEV_MAIL": False,
        }
    )
    assert "dev_mail.inbox" not in app.view_functions
    assert app.test_client().get("/dev/mail/").status_code == 404


def test_linkify_escapes_and_links():
    html = linkify('See <https://a.test/x?y=1&z=2>, or "http://b.test/p".')
    assert html == (
        'See &lt;<a href="https://a.test/x?y=1&amp;z=2" rel="noreferrer">'
        'https://a.test/x?y=1&amp;z=2</a>&gt;, or &#34;'
        '<a href="http://b.test/p" rel="noreferrer">http://b.test/p</a>&#34;.'
    )
