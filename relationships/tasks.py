"""Thin tasks of relationships: call a service, safe to repeat."""

from celery import shared_task


@shared_task(acks_late=True)
def follow_up_reminders_send_task() -> int:
    """The daily reminders (smartdiplomacy.celery's beat schedule); at most one e-mail per
    follow-up and day, however often it runs."""
    from .services import follow_up_reminders_send

    return follow_up_reminders_send()
