"""Mail tasks (placeholder)."""
from celery import shared_task


@shared_task(name="mail.send")
def send_message(message_id: int) -> None:
    pass
