"""Backups, as an operator makes and restores them: ``manage.py backup`` then ``manage.py restore``
into a fresh database, which must hold the same rows and score the same (on PostgreSQL with
pg_dump / pg_restore; on SQLite with its online backup API)."""

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from index.models import Engagement, EngagementParticipant, Methodology, Score
from index.services import score_compute
from stakeholders.choices import Kind, Sensitivity
from stakeholders.models import Stakeholder
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.stakeholders.factories import StakeholderFactory

ROOT = Path(__file__).resolve().parents[2]

# Run in the restored database, by a fresh process: its counts, the stored score, the score
# recomputed from its stored inputs by the pure core, and the engagement scored again from the
# restored rows.
CHECK = """
import json, django
django.setup()
from index.models import Engagement, EngagementParticipant, Methodology, Score
from index.scoring import EngagementFacts, ParticipantFacts, score_engagement
from index.services import score_compute
from stakeholders.models import Stakeholder

score = Score.objects.get(pk={score_pk})
inputs = dict(score.inputs)
participants = tuple(ParticipantFacts(**p) for p in inputs.pop("participants"))
again = score_engagement(EngagementFacts(**inputs, participants=participants),
                         score.methodology.as_dict())
rescored = score_compute(engagement=score.engagement, methodology=score.methodology)
pillars = lambda s: [s.digital, s.multi_stakeholder, s.feminist, s.composite, s.completeness]
print(json.dumps({{
    "counts": {{m.__name__: m.objects.count() for m in
               (Stakeholder, Engagement, EngagementParticipant, Methodology, Score)}},
    "restricted": Stakeholder.objects.filter(sensitivity="restricted").count(),
    "stored": pillars(score), "from_inputs": pillars(again), "rescored": pillars(rescored),
}}))
"""


def _counts() -> dict[str, int]:
    models = (Stakeholder, Engagement, EngagementParticipant, Methodology, Score)
    return {model.__name__: model.objects.count() for model in models}


def _pillars(score) -> list:
    return [score.digital, score.multi_stakeholder, score.feminist, score.composite,
            score.completeness]  # fmt: skip


def _fresh_database(tmp_path: Path):
    """A new, empty database of the same kind as the test database: (its URL, how to drop it)."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    settings_dict = connection.settings_dict
    # The test database's name and a random tail, within PostgreSQL's 63 characters (a CI run's
    # database name and a test process's "_gw1" leave little room; .ci/run's cleanup finds it
    # by the test database's name as its start).
    room = max(4, 63 - len(settings_dict["NAME"]) - len("_r"))
    name = f"{settings_dict['NAME']}_r{uuid.uuid4().hex[: min(room, 8)]}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{settings_dict['USER']}{password}@{host}:{port}/{name}", drop


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_has_the_rows_and_scores_the_same(tmp_path):
    actors = [StakeholderFactory(kind=kind) for kind in (Kind.NGO, Kind.STATE, Kind.WOMENS_GROUP)]
    actors.append(StakeholderFactory(kind=Kind.DIASPORA, sensitivity=Sensitivity.RESTRICTED))
    engagement = EngagementFactory(
        digital_channels=2, participants_total=40, participants_women=22, gbv_safeguards=True
    )
    for actor in actors:
        EngagementParticipantFactory(engagement=engagement, stakeholder=actor)
    methodology = Methodology.objects.get(name="Smart Diplomacy Index", version=1)
    score = score_compute(engagement=engagement, methodology=methodology)
    before = _counts()
    assert before["Score"] >= 1 and before["Stakeholder"] >= 4

    backup = tmp_path / "backups" / "nightly.dump"
    out = io.StringIO()
    call_command("backup", output=backup, stdout=out)
    assert f"Backed up {connection.vendor} database to {backup}" in out.getvalue()
    assert backup.stat().st_size > 0
    assert not list(backup.parent.glob("*.partial"))

    url, drop = _fresh_database(tmp_path)
    try:
        call_command("restore", str(backup), database_url=url, interactive=False,
                     stdout=io.StringIO())  # fmt: skip
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "smartdiplomacy.settings.test",
        }
        result = subprocess.run(
            [sys.executable, "-c", CHECK.format(score_pk=score.pk)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        restored = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        drop()
    assert restored["counts"] == before
    assert restored["restricted"] == 1  # restricted actors come back restricted
    assert restored["stored"] == _pillars(score)
    assert restored["from_inputs"] == pytest.approx(_pillars(score))
    assert restored["rescored"] == pytest.approx(_pillars(score))


def test_backups_are_named_by_time_and_only_the_newest_are_kept(tmp_path, settings):
    from ops.backup import backups_prune

    names = [f"smartdiplomacy-2026120{day}T020000Z.dump" for day in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a backup")
    removed = backups_prune(directory=tmp_path, keep=2)
    assert sorted(path.name for path in removed) == names[:3]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names[3:] + ["notes.txt"])


def test_the_health_check_of_backups_says_when_none_is_recent(tmp_path):
    with pytest.raises(CommandError, match="No backup in"):
        call_command("backup", dir=tmp_path, check_age=60)
    newest = tmp_path / "smartdiplomacy-20261203T020000Z.dump"
    newest.write_bytes(b"x")
    call_command("backup", dir=tmp_path, check_age=60, stdout=io.StringIO())
    os.utime(newest, (0, 0))
    with pytest.raises(CommandError, match="is [0-9]+ s old"):
        call_command("backup", dir=tmp_path, check_age=60)


def test_restore_refuses_a_missing_file_and_asks_first(tmp_path, monkeypatch):
    with pytest.raises(CommandError, match="No backup file at"):
        call_command("restore", str(tmp_path / "missing.dump"), interactive=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Restore cancelled"):
        call_command("restore", str(tmp_path / "missing.dump"))
