"""manage.py import_registry: the same checks and report from the command line."""

import pytest
from django.core.management import CommandError, call_command

from stakeholders.models import ImportJob, Stakeholder

from .conftest import FILES

pytestmark = pytest.mark.django_db


def test_dry_run_prints_the_report_and_writes_nothing(officer, sectors, capsys):
    call_command(
        "import_registry", "stakeholders", str(FILES / "stakeholders_good.csv"), "--dry-run",
        "--user", officer.username,
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "3 rows — 3 to create, 0 to update, 0 unchanged, 0 with errors" in out
    assert "Dry run: nothing written" in out
    assert Stakeholder.objects.count() == 0


def test_import_writes_the_file(officer, sectors, capsys):
    call_command(
        "import_registry", "stakeholders", str(FILES / "stakeholders_good.csv"),
        "--user", officer.username,
    )  # fmt: skip
    assert "3 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert Stakeholder.objects.count() == 3
    assert Stakeholder.history.filter(history_user=officer).count() == 3


def test_errors_are_printed_row_by_row_and_the_command_fails(officer, sectors, capsys):
    with pytest.raises(CommandError, match="the file has errors; nothing was imported"):
        call_command("import_registry", "stakeholders", str(FILES / "stakeholders_bad.csv"))
    out = capsys.readouterr().out
    assert "row 3, country [ZZ]: 'ZZ' is not an ISO 3166-1 alpha-2 country code" in out
    assert "row 4, women_leadership_share [1.4]: Ensure this value is less than" in out
    assert Stakeholder.objects.count() == 0
    assert ImportJob.objects.get().status == ImportJob.Status.INVALID


def test_wrong_encoding_is_named(capsys):
    with pytest.raises(CommandError):
        call_command("import_registry", "stakeholders", str(FILES / "stakeholders_latin1.csv"))
    assert "The file is not UTF-8 text: line 2" in capsys.readouterr().out
