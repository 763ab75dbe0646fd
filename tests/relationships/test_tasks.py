"""The daily follow-up reminders: once per follow-up and day, never for done ones, never about
what the owner may no longer see; the beat schedule names the task."""

import datetime

import pytest
from django.core import mail

from relationships import services
from relationships.models import FollowUpReminder
from relationships.tasks import follow_up_reminders_send_task
from smartdiplomacy.celery import app
from stakeholders import services as registry
from stakeholders.choices import Sensitivity
from tests.accounts.factories import UserFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _follow_up(owner, title, days, stakeholder=None):
    return services.follow_up_create(
        user=owner,
        stakeholder=stakeholder or StakeholderFactory(),
        title=title,
        owner=owner,
        due_date=TODAY + datetime.timedelta(days=days),
    )


def test_reminders_are_sent_once_per_follow_up_and_day(officer, settings):
    settings.SITE_URL = "https://sd.example.org"
    overdue = _follow_up(officer, "Chase the MoU", -2)
    _follow_up(officer, "Due today", 0)
    _follow_up(officer, "Next week", 7)
    done = _follow_up(officer, "Done already", -1)
    services.follow_up_complete(follow_up=done, user=officer)
    mail.outbox.clear()

    assert _run() == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "[Smart Diplomacy] Follow-up due today: Due today",
        "[Smart Diplomacy] Follow-up overdue by 2 days (due "
        f"{overdue.due_date:%d %b %Y}): Chase the MoU",
    ]
    assert f"https://sd.example.org/stakeholders/{overdue.stakeholder_id}/" in "".join(
        m.body for m in mail.outbox
    )
    assert _run() == 0  # the same day again: nothing
    assert len(mail.outbox) == 2
    assert _run(today=TODAY + datetime.timedelta(days=1)) == 2  # the next day: again
    assert FollowUpReminder.objects.count() == 4


def test_no_reminder_about_what_the_owner_may_no_longer_see(officer):
    actor = StakeholderFactory()
    _follow_up(officer, "About a turned actor", -1, stakeholder=actor)
    registry.stakeholder_update(stakeholder=actor, sensitivity=Sensitivity.RESTRICTED)
    cleared = UserFactory(roles=["program officer"], cleared=True)
    _follow_up(cleared, "Cleared owner's", -1, stakeholder=actor)
    mail.outbox.clear()
    assert _run() == 1
    assert [m.to for m in mail.outbox] == [[cleared.email]]


def test_the_task_is_in_the_beat_schedule_and_runs(officer):
    entry = app.conf.beat_schedule["relationships-follow-up-reminders"]
    assert entry["task"] == follow_up_reminders_send_task.name
    _follow_up(officer, "Call", 0)
    mail.outbox.clear()
    assert follow_up_reminders_send_task.apply().get() == 1


def _run(today=None) -> int:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.follow_up_reminders_send(today=today)
