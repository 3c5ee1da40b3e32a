"""Configuration classes, each overridable from ORGWELL_* environment variables.

Every setting a deployer may change is read here and listed in the README; nothing
else in the package reads the environment.
"""
from __future__ import annotations

import os
from datetime import timedelta


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    # None means "SQLite in the instance folder", resolved by the factory.
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("ORGWELL_DATABASE_URL")
    # None means "the embedded broker": SQLAlchemy transport on SQLite in the instance folder.
    BROKER_URL: str | None = os.environ.get("ORGWELL_BROKER_URL")
    REDIS_URL: str | None = os.environ.get("ORGWELL_REDIS_URL")
    BASE_URL: str = os.environ.get("ORGWELL_BASE_URL", "http://127.0.0.1:5000")

    MAIL_BACKEND: str = os.environ.get("ORGWELL_MAIL_BACKEND", "smtp")
    MAIL_FROM: str = os.environ.get("ORGWELL_MAIL_FROM", "OrgWell <no-reply@orgwell.local>")
    SMTP_HOST: str = os.environ.get("ORGWELL_SMTP_HOST", "localhost")
    SMTP_PORT: int = _env_int("ORGWELL_SMTP_PORT", 25)
    SMTP_USER: str | None = os.environ.get("ORGWELL_SMTP_USER")
    SMTP_PASSWORD: str | None = os.environ.get("ORGWELL_SMTP_PASSWORD")
    SMTP_STARTTLS: bool = _env_bool("ORGWELL_SMTP_STARTTLS", False)
    SMTP_TIMEOUT: int = 20
    MAIL_MAX_ATTEMPTS: int = 8
    # Backoff between SMTP attempts: base x 2^(attempt-1), capped.
    MAIL_RETRY_BASE_SECONDS: int = _env_int("ORGWELL_MAIL_RETRY_BASE_SECONDS", 30)
    MAIL_RETRY_MAX_SECONDS: int = _env_int("ORGWELL_MAIL_RETRY_MAX_SECONDS", 3600)
    # A row left in "sending" this long lost its worker (longer than any SMTP conversation).
    MAIL_STALE_CLAIM_SECONDS: int = _env_int("ORGWELL_MAIL_STALE_CLAIM_SECONDS", 300)
    # A due row waits this long for its queued task before the sweep queues it again.
    MAIL_SWEEP_GRACE_SECONDS: int = _env_int("ORGWELL_MAIL_SWEEP_GRACE_SECONDS", 60)

    PUBLIC_SIGNUP: bool = _env_bool("ORGWELL_PUBLIC_SIGNUP", False)
    SESSION_IDLE_MINUTES: int = _env_int("ORGWELL_SESSION_IDLE_MINUTES", 8 * 60)
    INVITE_VALID_DAYS: int = _env_int("ORGWELL_INVITE_VALID_DAYS", 7)
    # Reverse proxies in front of the web server whose X-Forwarded-For/-Proto/-Host to
    # believe; 0 = none. Rate limits key on the client's address, which behind a proxy is the
    # proxy's own unless this says how many hops to look through.
    PROXY_HOPS: int = _env_int("ORGWELL_PROXY_HOPS", 0)
    # The browser kaleido drives to draw figures as PNG and PDF (Debian's package by default).
    CHROMIUM_PATH: str = os.environ.get("ORGWELL_CHROMIUM_PATH", "/usr/bin/chromium")
    # People who left are erased this many days after their leaving date; 0 = never.
    ERASE_LEAVERS_AFTER_DAYS: int = _env_int("ORGWELL_ERASE_LEAVERS_AFTER_DAYS", 365)
    RESET_VALID_HOURS: int = 2
    LOGIN_RATE_LIMIT: str = os.environ.get("ORGWELL_LOGIN_RATE_LIMIT", "10 per minute")
    # Per client address on survey links. Generous: a whole clinic behind one address may
    # answer in the same minute, and a 256-bit token cannot be guessed anyway.
    SURVEY_RATE_LIMIT: str = os.environ.get("ORGWELL_SURVEY_RATE_LIMIT", "120 per minute")
    PASSWORD_MIN_LENGTH = 10
    SECURITY_HEADERS: bool = True
    HSTS: bool = False

    WTF_CSRF_TIME_LIMIT = None  # the session's idle timeout already bounds a form's life
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_STYLE = "primary"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=1)
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    SHOW_DEV_MAIL = False

    CELERY_WORKER_CONCURRENCY: int = _env_int("ORGWELL_WORKER_CONCURRENCY", 2)


class DevelopmentConfig(Config):
    """`make run`: embedded defaults, mail kept in the dev outbox at /dev/mail."""

    ENV_NAME = "development"
    MAIL_BACKEND = os.environ.get("ORGWELL_MAIL_BACKEND", "dev")
    SHOW_DEV_MAIL = True


class TestingConfig(Config):
    """Used by the test suite; tests pass their own database and broker URLs."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    MAIL_BACKEND = os.environ.get("ORGWELL_MAIL_BACKEND", "dev")
    SHOW_DEV_MAIL = True
    LOGIN_RATE_LIMIT = "1000 per minute"
    SURVEY_RATE_LIMIT = "1000 per minute"


class ProductionConfig(Config):
    """Real deployments: SMTP, secure cookies, HSTS, no dev pages."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by ORGWELL_ENV (default: development)."""
    name = os.environ.get("ORGWELL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"ORGWELL_ENV={name!r} is not one of {', '.join(CONFIGS)}"
        ) from None
