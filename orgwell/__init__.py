"""OrgWell: organisation-level burnout prevention for healthcare practices.

`create_app` is the only entry point; importing the package has no side effects.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from orgwell.config import Config, ProductionConfig, config_from_env


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the Flask app.

    `config` is a config class, or a dict of overrides applied on top of TestingConfig;
    by default the class named by ORGWELL_ENV.
    """
    instance_path = os.environ.get("ORGWELL_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    load_config(app, config)
    register_extensions(app)
    register_celery(app)
    register_blueprints(app)
    register_domain_hooks(app)
    register_security(app)  # first: its request checks run before the access hook's queries
    register_access(app)
    register_cli(app)
    register_template_helpers(app)
    register_errors(app)
    return app


def load_config(app: Flask, config: type[Config] | dict | None) -> None:
    from orgwell import broker
    from orgwell.config import TestingConfig
    from orgwell.database import engine_options_for

    if isinstance(config, dict):
        app.config.from_object(TestingConfig)
        app.config.update(config)
    else:
        app.config.from_object(config or config_from_env())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{app.instance_path}/orgwell.sqlite"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options_for(uri),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS_EXTRA", {}),
    }
    broker.register()
    if not app.config.get("BROKER_URL"):
        # The embedded broker: kombu's SQLAlchemy transport on its own SQLite file.
        # (The filesystem transport can hand a worker a half-written message file.)
        app.config["BROKER_URL"] = broker.embedded_broker_url(app.instance_path)
    app.config["CELERY"] = celery_settings(app.config)


def _secret_key(app: Flask) -> str:
    """Development keeps a generated key in the instance folder; production must be given one."""
    if app.config.get("ENV_NAME") == ProductionConfig.ENV_NAME:
        raise RuntimeError("SECRET_KEY must be set in production (a long random string).")
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def celery_settings(config) -> dict:
    """Celery's settings, derived from ours so that one place configures both."""
    from worker.schedule import BEAT_SCHEDULE, TASK_MODULES

    broker_url = config["BROKER_URL"]
    settings = {
        **task_queues(),
        "broker_url": broker_url,
        "task_ignore_result": True,
        "result_backend": None,
        # A task is acknowledged after it ran, and a worker that dies mid-task gives it back:
        # every task is idempotent for this reason.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_concurrency": config["CELERY_WORKER_CONCURRENCY"],
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "include": TASK_MODULES,
        "beat_schedule": BEAT_SCHEDULE,
        # Sends only while it holds the beat lock, so a second beat does nothing.
        "beat_scheduler": "worker.beat_lock:LockedScheduler",
        "timezone": "UTC",
        "task_serializer": "json",
        "accept_content": ["json"],
    }
    if broker_url.split("+", 1)[0] in ("sqla", "orgwellsqla"):
        settings["broker_transport_options"] = {"connect_args": {"timeout": 30}}
    return settings


def task_queues() -> dict:
    """Three queues, so that a long export never delays an invitation.

    Production runs one worker per queue (`-Q mail`, `-Q default`, `-Q reports`); a worker
    started without -Q (`orgwell run-all`, the tests) consumes all three.
    """
    from kombu import Exchange, Queue

    from worker.schedule import QUEUES, TASK_ROUTES

    return {
        "task_queues": tuple(Queue(name, Exchange(name), routing_key=name) for name in QUEUES),
        "task_default_queue": "default",
        "task_default_exchange": "default",
        "task_default_routing_key": "default",
        "task_routes": TASK_ROUTES,
    }


def register_extensions(app: Flask) -> None:
    import orgwell.models  # noqa: F401  (the whole schema, for Alembic and create_all)
    from orgwell import rate_limits
    from orgwell.database import end_sessions_quietly, ping_idle_connections
    from orgwell.extensions import bootstrap, csrf, db, limiter, login_manager, migrate
    from orgwell.notifications.services import init_dispatch

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name != "sqlite":  # a file, not a server: nothing to lose
                ping_idle_connections(engine)
    end_sessions_quietly(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or rate_limits.STORAGE_URI
    )
    # The extension is one object per process and would carry an app's False to the next app.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    init_dispatch()


def register_celery(app: Flask) -> None:
    from orgwell.extensions import celery_init_app

    celery_init_app(app)


def register_blueprints(app: Flask) -> None:
    from orgwell import rate_limits
    from orgwell.admin.views import bp as admin_bp
    from orgwell.api import metrics, openapi, programs  # noqa: F401  (they add routes to api_bp)
    from orgwell.api.views import bp as api_bp
    from orgwell.audit.views import bp as audit_bp
    from orgwell.auth.views import bp as auth_bp
    from orgwell.health.views import bp as health_bp
    from orgwell.home.views import bp as home_bp
    from orgwell.metrics.action_views import bp as actions_bp
    from orgwell.metrics.plotlyjs import bp as metrics_assets_bp
    from orgwell.metrics.views import bp as metrics_bp
    from orgwell.notifications.views import bp as mail_bp
    from orgwell.orgs.views import bp as orgs_bp
    from orgwell.orgs.views import organisations_bp
    from orgwell.privacy.views import bp as privacy_bp
    from orgwell.programs import cohort_views  # noqa: F401  (adds routes to programs_bp)
    from orgwell.programs.learning_views import bp as learning_bp
    from orgwell.programs.views import bp as programs_bp
    from orgwell.surveys.instruments.views import bp as instruments_bp
    from orgwell.surveys.my_views import bp as surveys_my_bp
    from orgwell.surveys.respond_views import bp as surveys_respond_bp
    from orgwell.surveys.views import bp as surveys_bp

    for blueprint in (
        home_bp, auth_bp, admin_bp, organisations_bp, orgs_bp, health_bp, api_bp, audit_bp,
        learning_bp, instruments_bp, surveys_respond_bp, surveys_my_bp, surveys_bp, privacy_bp,
        programs_bp, actions_bp, metrics_assets_bp, metrics_bp,
    ):
        app.register_blueprint(blueprint)
    if app.config["SHOW_DEV_MAIL"]:
        app.register_blueprint(mail_bp)
    # Every view and its rate limit are declared now.
    rate_limits.views_check_the_limits(app)


def register_domain_hooks(app: Flask) -> None:
    """Domains that react to other domains' events or add checklist steps (idempotent)."""
    from orgwell.metrics import hooks as metrics_hooks
    from orgwell.programs.hooks import register_program_hooks

    register_program_hooks(app)
    metrics_hooks.register()


def register_access(app: Flask) -> None:
    from orgwell.access import init_access

    init_access(app)


def register_security(app: Flask) -> None:
    from orgwell.auth.sessions import init_sessions
    from orgwell.security import init_security

    init_sessions(app)
    init_security(app)


def register_cli(app: Flask) -> None:
    from orgwell.cli import register_commands

    register_commands(app)


def register_template_helpers(app: Flask) -> None:
    from orgwell.templating import init_templating

    init_templating(app)


def register_errors(app: Flask) -> None:
    from orgwell.errors import register_errors as init_errors

    init_errors(app)
