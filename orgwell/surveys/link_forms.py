"""The survey link's form token: CSRF protection bound to the link, not to a session.

A survey link's token is its credential (responding.py): whoever holds the link may answer,
and its page is the same for all of them. So the form carries an HMAC of the link's token
under the app's secret key. A page on another site cannot post answers to a link without
knowing the link, and knowing it is already all anyone needs to answer. A POST without the
page's token is refused as before, with the 400 "This form has expired" page of every other
form (CSRFError), before anything is read or written.

Flask-WTF's token lives in the session cookie instead. So showing a survey set a cookie on
every respondent's phone, and reading, checking and re-signing it cost 12% of the web's CPU
per answer (py-spy, bench/submissions.py). Now answering an anonymous survey sets no cookie
at all. Like Flask-WTF's, the check is off when WTF_CSRF_ENABLED is (most tests), and tokens
made with a key in SECRET_KEY_FALLBACKS still pass while keys are rotated.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_wtf.csrf import CSRFError

_PURPOSE = b"orgwell survey form\0"


def form_token(link_token: str) -> str:
    """The token the form of the link `link_token` carries (hidden field csrf_token)."""
    return _sign(current_app.config["SECRET_KEY"], link_token)


def check_form_token(link_token: str, sent: str | None) -> None:
    """Raise CSRFError unless `sent` is the form token of this link (or checks are off)."""
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return
    if not sent:
        raise CSRFError("The CSRF token is missing.")
    keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())]
    # As bytes: compare_digest refuses str with non-ASCII characters, which anyone can send.
    given = sent.encode("utf-8", "surrogatepass")
    if not any(hmac.compare_digest(_sign(key, link_token).encode(), given) for key in keys):
        raise CSRFError("The CSRF token is invalid.")


def _sign(key: str | bytes, link_token: str) -> str:
    key = key.encode() if isinstance(key, str) else key
    message = _PURPOSE + link_token.encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
