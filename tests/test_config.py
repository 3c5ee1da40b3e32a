"""Configuration: environment overrides, generated development secret, production refusal,
and the README and .env.example naming every setting read from the environment."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from orgwell import create_app
from orgwell.config import DevelopmentConfig, ProductionConfig


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("ORGWELL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(ProductionConfig)


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("ORGWELL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY", None)
    first = create_app(DevelopmentConfig).config["SECRET_KEY"]
    second = create_app(DevelopmentConfig).config["SECRET_KEY"]
    assert first == second and len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_embedded_defaults_live_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("ORGWELL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(DevelopmentConfig, "SQLALCHEMY_DATABASE_URI", None)
    monkeypatch.setattr(DevelopmentConfig, "BROKER_URL", None)
    app = create_app(DevelopmentConfig)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/orgwell.sqlite"
    assert app.config["CELERY"]["broker_url"] == f"orgwellsqla+sqlite:///{tmp_path}/broker.sqlite"
    assert app.config["CELERY"]["task_acks_late"] is True
    assert app.config["CELERY"]["worker_prefetch_multiplier"] == 1


def test_sqlite_connections_use_wal_and_a_busy_timeout(app, db):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_production_has_no_dev_outbox(monkeypatch, tmp_path):
    monkeypatch.setenv("ORGWELL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 64)
    app = create_app(ProductionConfig)
    assert "dev_mail.inbox" not in app.view_functions
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


ROOT = Path(__file__).resolve().parents[1]
# os.environ.get("X"), os.environ["X"], and the helpers of config.py and gunicorn.conf.py.
ENV_READ = re.compile(
    r"""(?:environ(?:\.get\(|\[)|_env_int\(|_env_bool\(|_int\()\s*["']([A-Z_]+)"""
)


def _variables_read() -> set[str]:
    sources = [ROOT / "gunicorn.conf.py", ROOT / "wsgi.py"]
    sources += (ROOT / "orgwell").rglob("*.py")
    sources += (ROOT / "worker").rglob("*.py")
    return {name for path in sources for name in ENV_READ.findall(path.read_text())}


def test_the_readme_lists_every_setting_read_from_the_environment():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)`(?: / `([A-Z_]+)`)?", readme, re.M))
    documented = {name for pair in documented for name in pair if name}
    read = _variables_read()
    assert {"ORGWELL_DATABASE_URL", "SECRET_KEY", "WEB_CONCURRENCY"} <= read
    assert read - documented == set(), "add these to the README's Configuration tables"


def test_env_example_names_only_real_settings():
    names = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert {"ORGWELL_ENV", "SECRET_KEY", "ORGWELL_DATABASE_URL", "ORGWELL_BROKER_URL"} <= names
    assert names - _variables_read() == set()
