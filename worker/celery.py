"""The Celery entry point: build the Flask app, take its Celery instance."""
from orgwell import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
