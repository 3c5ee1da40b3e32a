"""One unbound instance of each extension; `create_app` binds them."""
from __future__ import annotations

from celery import Celery, Task
from flask import Flask, session
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# For its listener: a SQLite savepoint opens its transaction with the write lock.
import orgwell.sqlite_engine  # noqa: F401


class Base(DeclarativeBase):
    # Named constraints, so that later migrations can alter them (SQLite batch mode needs names).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class OrgWellLoginManager(LoginManager):
    """Session protection only for sessions that carry a login.

    In "basic" mode Flask-Login marks a session not fresh when it comes from another address
    or browser, and so writes it back. A session without a login (a visitor holding only a
    form's CSRF token) has nothing to protect, yet was re-signed and re-sent on the next
    request: on every survey answer's POST, while the survey form's token still lived in the
    session, 2% of the web's CPU (py-spy, bench/submissions.py).
    """

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = OrgWellLoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app the way Flask documents it: each task runs in an app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
