"""gunicorn.conf.py's access logger: survey-link tokens masked, the rest as gunicorn writes it."""
from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn import glogging
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _line(logger_class, log_format: str, tmp_path) -> str:
    path = tmp_path / f"access-{logger_class.__name__}.log"
    cfg = Config()
    cfg.set("accesslog", str(path))
    cfg.set("access_log_format", log_format)
    logger = logger_class(cfg)
    response = SimpleNamespace(
        status="200 OK", sent=512, headers=[("Content-Type", "text/html; charset=utf-8")]
    )
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", "203.0.113.9")])
    environ = {
        "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "POST",
        "RAW_URI": "/s/SECRET-token_1?x=1", "PATH_INFO": "/s/SECRET-token_1",
        "QUERY_STRING": "x=1", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://ow.example/s/SECRET-token_1", "HTTP_USER_AGENT": 'Ph "one"',
        "wsgi.version": (1, 0), "HTTP_X_FORWARDED_FOR": "203.0.113.9",
    }
    logger.access(response, request, environ, timedelta(microseconds=1234))
    for handler in logger.access_log.handlers:
        handler.close()
    # The time atom (t) differs between two calls; everything else must not.
    line = path.read_text().strip()
    if "[" in line:
        line = line.split("[", 1)[0] + line.split("]", 1)[1]
    return line


def test_the_default_line_masks_tokens_and_matches_gunicorns(conf, tmp_path):
    ours = _line(conf.TokenMaskingLogger, conf.access_log_format, tmp_path)
    assert "SECRET" not in ours
    assert ours == (
        '127.0.0.1 - -  "POST /s/...?x=1 HTTP/1.1" 200 512 "https://ow.example/s/..." '
        '"Ph \\"one\\"" 1234us'
    )
    plain = _line(glogging.Logger, conf.access_log_format, tmp_path)
    assert plain == ours.replace("/s/...", "/s/SECRET-token_1")


def test_a_format_naming_headers_still_gets_them(conf, tmp_path):
    log_format = '%(h)s %({x-forwarded-for}i)s %({content-type}o)s %({wsgi.version}e)s "%(r)s"'
    ours = _line(conf.TokenMaskingLogger, log_format, tmp_path)
    assert ours == (
        '127.0.0.1 203.0.113.9 text/html; charset=utf-8 (1, 0) "POST /s/...?x=1 HTTP/1.1"'
    )
