"""Everything that runs off the request path.

`celery -A worker worker` and `celery -A worker beat` load `worker.celery`, which builds the
Flask app and takes its Celery instance. The task modules stay thin: each task calls one
service and commits.
"""
