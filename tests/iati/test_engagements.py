"""IATI activities become index engagements: fields, participants, facts, re-imports, scoring."""

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from iati.engagements import TITLE_MAX_LENGTH
from iati.importing import IatiImportError, collecting, engagement_writes, iati_import
from iati.models import IatiActivity
from index.models import Engagement, EngagementParticipant, Score
from index.selectors import methodology_current
from stakeholders.models import Outcome, Stakeholder
from tests.iati.test_services import SAMPLE, SEVEN, activity_xml, write

pytestmark = pytest.mark.django_db

# Facts the index reads that IATI never says: they must stay unknown, not 0 or False.
UNSAID = (
    "digital_channels",
    "realtime_reporting",
    "marginalised_reach",
    "disinformation_safeguards",
    "data_protection",
    "participants_total",
    "participants_women",
    "leaders_total",
    "leaders_women",
    "results_by_sex",
)


def engagement_of(identifier: str) -> Engagement:
    return Engagement.objects.get(iati_activity__iati_identifier=identifier)


def roles_of(engagement: Engagement) -> dict[str, str]:
    return dict(engagement.participants.values_list("stakeholder__name", "role"))


def test_the_seven_activities_become_seven_engagements():
    report = iati_import(paths=[SEVEN])
    counts = report.counts["engagements"]
    assert (counts.created, counts.updated, counts.unchanged, counts.skipped) == (7, 0, 0, 0)
    assert Engagement.objects.count() == 7
    assert set(Engagement.objects.values_list("kind", flat=True)) == {"programme"}

    # The EC activity: actual start (2022-01-17) wins over the planned one (2021-12-13); the
    # end is planned only. Accountable and extending convene; "Recipient Government" has the
    # ref 12000 and "EC_INTPA" only a name: two stakeholders.
    ec = engagement_of("XI-IATI-EC_INTPA-2021/429-054")
    assert (ec.start_date, ec.end_date) == (dt.date(2022, 1, 17), dt.date(2022, 10, 13))
    assert ec.country.code == "CG" and ec.place == "Congo"
    assert roles_of(ec) == {
        "European Commission - Directorate-General for International Partnerships": "funder",
        "European Development Fund": "convener",
        "Recipient Government": "convener",
        "EC_INTPA": "implementer",
    }
    assert ec.dac_gender_marker == 0  # "not targeted" is known, not unknown
    assert sorted(ec.outcomes.values_list("title", flat=True)) == [
        "Cottage industries and handicraft in the Congo",
        "Forest industries in the Congo",
        "Small and medium-sized enterprises (SME) development in the Congo",
    ]

    # PAX is accountable and implementing: once, as convener. Regions only: no country.
    pax = engagement_of("NL-KVK-30214009-C380")
    assert roles_of(pax) == {
        "PAX": "convener",
        "Netherlands – Ministry of Foreign Affairs": "funder",
        "ABAAD – Resource Center for Gender Equality": "implementer",
        "Amnesty International The Netherlands": "implementer",
        "DefendDefenders": "implementer",
    }
    assert pax.participants.count() == 5
    assert pax.country.code is None or pax.country.code == ""
    assert pax.place == "Africa, regional; Middle East, regional"
    assert pax.outcomes.count() == 0  # no recipient country: the import made no outcome
    # Sectors 15220 (prevention) and 15180 (protection, GBV safeguards); marker 1.
    assert (pax.dac_gender_marker, pax.gbv_safeguards) == (1, True)
    assert (pax.unscr1325_prevention, pax.unscr1325_protection) == (True, True)
    # IATI never says a pillar is not addressed: those stay unknown, not False.
    assert (pax.unscr1325_participation, pax.unscr1325_relief_recovery) == (None, None)

    jass = engagement_of("US-EIN-06-1597-668-PU1-GL")  # 15170 women's rights organisations
    assert jass.unscr1325_participation and not jass.unscr1325_protection
    assert jass.gbv_safeguards is None

    markers = dict(
        Engagement.objects.values_list("iati_activity__iati_identifier", "dac_gender_marker")
    )
    assert markers == {
        identifier: payload["gender_marker"]
        for identifier, payload in IatiActivity.objects.values_list("iati_identifier", "payload")
    }
    assert markers["NL-KVK-41155305-GLA2-Coord"] == 2
    assert markers["GB-CHC-285776-NGR476"] is None  # no gender-equality marker published

    caf = engagement_of("GB-CHC-285776-NGR476")
    assert (caf.start_date, caf.end_date, caf.country.code) == (
        dt.date(2022, 4, 1),
        dt.date(2023, 3, 31),
        "NG",
    )
    assert caf.outcomes.count() == 2

    for engagement in Engagement.objects.all():
        assert {name: getattr(engagement, name) for name in UNSAID} == dict.fromkeys(UNSAID)
    # Not a single unknown was written as False.
    assert not Engagement.objects.filter(gbv_safeguards=False).exists()
    assert Engagement.history.filter(history_type="+").count() == 7
    # Each creation record keeps the engagement's outcomes (3 + 1 + 1 + 2 over the activities).
    outcome_history = Engagement.history.model.outcomes.model
    assert outcome_history.objects.count() == Engagement.outcomes.through.objects.count() == 7
    # 4 + 2 + 2 + 2 + 5 + 1 + 3 participants, each with its creation in the history.
    assert EngagementParticipant.history.count() == EngagementParticipant.objects.count() == 19


def test_reimporting_the_same_file_changes_no_engagement(django_capture_on_commit_callbacks):
    iati_import(paths=[SEVEN])
    stamps = dict(Engagement.objects.values_list("pk", "updated_at"))
    participants = sorted(EngagementParticipant.objects.values_list("pk", flat=True))
    histories = Engagement.history.count(), EngagementParticipant.history.count()

    with django_capture_on_commit_callbacks() as callbacks:
        report = iati_import(paths=[SEVEN])
    counts = report.counts["engagements"]
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 7)
    assert dict(Engagement.objects.values_list("pk", "updated_at")) == stamps
    assert sorted(EngagementParticipant.objects.values_list("pk", flat=True)) == participants
    assert (Engagement.history.count(), EngagementParticipant.history.count()) == histories
    assert callbacks == []  # nothing to rescore, nothing to announce


def test_an_engagement_deleted_by_hand_is_built_again():
    iati_import(paths=[SEVEN])
    engagement_of("DE-1-202033942-0").delete()
    counts = iati_import(paths=[SEVEN]).counts["engagements"]
    assert (counts.created, counts.unchanged) == (1, 6)
    assert roles_of(engagement_of("DE-1-202033942-0"))


def test_a_newer_version_updates_its_engagement(tmp_path):
    original = [activity_xml(f"XI-TEST-1-{x}", body=DATED) for x in "AB"]
    iati_import(paths=[write(tmp_path, *original)])
    engagement = engagement_of("XI-TEST-1-A")
    assert roles_of(engagement) == {"Test Org": "funder", "Women of Marib": "implementer"}
    old_participants = set(engagement.participants.values_list("pk", flat=True))
    # A fact a program officer recorded by hand, which IATI does not say.
    Engagement.objects.filter(pk=engagement.pk).update(participants_women=12)
    untouched = engagement_of("XI-TEST-1-B").updated_at

    newer_a = activity_xml(
        "XI-TEST-1-A",
        updated="2025-01-01T00:00:00",
        body="""
  <participating-org role="4" type="22"><narrative>Aden Women's Union</narrative>
  </participating-org>
  <activity-date iso-date="2025-03-01" type="2"/>
  <activity-date iso-date="2026-02-28" type="3"/>
  <policy-marker vocabulary="1" code="1" significance="2"/>
  <sector vocabulary="1" code="15180"/>""",
    )
    # The newer version no longer names Women of Marib.
    marib = (
        '<participating-org role="4" type="24"><narrative>Women of Marib</narrative>'
        "</participating-org>"
    )
    assert marib in newer_a
    newer_a = newer_a.replace(marib, "")
    report = iati_import(paths=[write(tmp_path, newer_a, original[1], name="newer.xml")])
    counts = report.counts["engagements"]
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 1)

    updated = engagement_of("XI-TEST-1-A")
    assert updated.pk == engagement.pk
    assert roles_of(updated) == {"Test Org": "funder", "Aden Women's Union": "implementer"}
    assert not set(updated.participants.values_list("pk", flat=True)) & old_participants
    assert (updated.start_date, updated.end_date) == (dt.date(2025, 3, 1), dt.date(2026, 2, 28))
    assert (updated.dac_gender_marker, updated.gbv_safeguards) == (2, True)
    assert updated.unscr1325_protection and updated.unscr1325_prevention
    assert updated.participants_women == 12  # not the import's to change
    assert updated.updated_at > engagement.updated_at
    assert engagement_of("XI-TEST-1-B").updated_at == untouched
    assert Engagement.history.filter(id=engagement.pk, history_type="~").count() == 1
    # Test Org and Women of Marib left (their rows replaced), each once in the history.
    assert EngagementParticipant.history.filter(history_type="-").count() == 2


def test_what_an_activity_does_not_say_is_left_out_and_noted(tmp_path):
    long_title = "Digital rights and safety online " * 20
    path = write(
        tmp_path,
        activity_xml(
            "XI-TEST-1-END",
            body="""<activity-date iso-date="2024-06-01" type="2"/>
  <activity-date iso-date="2023-01-01" type="4"/>
  <policy-marker vocabulary="1" code="1" significance="3"/>
  <sector vocabulary="1" code="22040"/>""",
        ).replace('<recipient-country code="YE"/>', '<recipient-country code="QQ"/>'),
        activity_xml("XI-TEST-1-NODATE"),
        activity_xml(
            "XI-TEST-1-LONG",
            body=f"""<title><narrative>{long_title}</narrative></title>
  <activity-date iso-date="2024-01-01" type="1"/>
  <participating-org ref="XI-TEST-1" role="7" type="21"><narrative>Test Org</narrative>
  </participating-org>
  <participating-org role="9"><narrative>Someone Unsorted</narrative></participating-org>""",
        ),
    )
    report = iati_import(paths=[path])
    counts = report.counts["engagements"]
    assert (counts.created, counts.skipped) == (2, 1)
    assert not Engagement.objects.filter(iati_activity__iati_identifier="XI-TEST-1-NODATE")
    assert report.notes["no start date (activity-date type 1 or 2): no engagement"] == 1
    assert "XI-TEST-1-NODATE: no start date (activity-date type 1 or 2): no engagement" in (
        report.skipped
    )

    ended = engagement_of("XI-TEST-1-END")
    # The end (2023) is before the start (2024): the start is kept, the end left empty.
    assert (ended.start_date, ended.end_date) == (dt.date(2024, 6, 1), None)
    assert report.notes["end date before the start date: engagement's end date left empty"] == 1
    # Significance 3 is not a DAC gender-marker value: unknown, noted.
    assert ended.dac_gender_marker is None
    assert any("significance 3" in note for note in report.notes)
    # An ICT sector does not say which channels were used: digital facts stay unknown.
    assert ended.digital_channels is None and ended.realtime_reporting is None
    # QQ is no country: neither country nor place, and the test org's Yemen is not there.
    assert (ended.country.code or "", ended.place) == ("", "")

    long = engagement_of("XI-TEST-1-LONG")
    assert len(long.title) == TITLE_MAX_LENGTH and long.title.endswith("…")
    assert long.title.startswith("Digital rights and safety online Digital")
    assert long.country.code == "YE" and long.place == "Yemen"
    # Test Org funds (role 1) and also appears with an unknown role: funder once.
    assert roles_of(long) == {
        "Test Org": "funder",
        "Women of Marib": "implementer",
        "Someone Unsorted": "participant",
    }
    assert long.outcomes.get() == Outcome.objects.get(
        title="Civilian peace-building, conflict prevention and resolution in Yemen"
    )


def test_scores_are_computed_after_commit_one_task_per_batch(
    django_capture_on_commit_callbacks, monkeypatch
):
    methodology = methodology_current()
    assert methodology is not None  # version 1 comes with the migrations
    monkeypatch.setattr(engagement_writes, "RESCORE_TASK_SIZE", 3)
    sent = []
    with (
        mock.patch.object(
            collecting.engagements_rescore,
            "apply_async",
            side_effect=lambda args, kwargs: sent.append(list(args[0])),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        iati_import(paths=[SEVEN])
        assert sent == []  # not before the commit
    assert [len(ids) for ids in sent] == [3, 3, 1]
    assert sorted(pk for ids in sent for pk in ids) == sorted(
        Engagement.objects.values_list("pk", flat=True)
    )

    Engagement.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        iati_import(paths=[SEVEN])
        assert not Score.objects.exists()
    scores = Score.objects.filter(methodology=methodology)
    assert scores.count() == 7
    pax = scores.get(engagement=engagement_of("NL-KVK-30214009-C380"))
    indicators = {row["code"]: row for row in pax.indicators}
    assert indicators["F5"]["value"] == 1.0  # the gender marker
    assert indicators["F4"]["value"] == 1.0  # GBV safeguards from sector 15180
    assert indicators["M1"]["value"] == 5.0  # five participants
    assert indicators["D1"]["missing"] and indicators["F1"]["missing"]  # unknown, not zero
    assert 0 < pax.completeness < 1


def test_the_401_sample_gives_one_engagement_per_activity_with_a_start_date():
    report = iati_import(paths=[SAMPLE])
    with_start = [
        identifier
        for identifier, payload in IatiActivity.objects.values_list("iati_identifier", "payload")
        if "1" in payload["dates"] or "2" in payload["dates"]
    ]
    assert len(with_start) > 300  # most real activities have a start date
    assert Engagement.objects.count() == len(with_start) == report.counts["engagements"].created
    assert report.counts["engagements"].skipped == 401 - len(with_start)
    assert set(Engagement.objects.values_list("iati_activity__iati_identifier", flat=True)) == set(
        with_start
    )
    # Every participant is a stakeholder the import made or matched, once per engagement.
    assert not EngagementParticipant.objects.exclude(
        stakeholder__in=Stakeholder.objects.all()
    ).exists()
    known_markers = sum(
        1
        for payload in IatiActivity.objects.values_list("payload", flat=True)
        if payload["gender_marker"] in (0, 1, 2)
        and ("1" in payload["dates"] or "2" in payload["dates"])
    )
    assert Engagement.objects.exclude(dac_gender_marker=None).count() == known_markers

    again = iati_import(paths=[SAMPLE]).counts["engagements"]
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(with_start))


def test_a_broken_file_leaves_no_engagement_behind(tmp_path):
    good = [activity_xml(f"XI-TEST-1-{n}", body=DATED) for n in range(600)]  # past one batch
    truncated = write(tmp_path, *good, "<iati-activity><iati-identifier>X", tail="")
    with pytest.raises(IatiImportError, match="broken or truncated XML"):
        iati_import(paths=[SEVEN, truncated])
    assert not Engagement.objects.exists()
    assert not EngagementParticipant.objects.exists()
    assert not IatiActivity.objects.exists()


DATED = '<activity-date iso-date="2024-01-01" type="2"/>'


def test_engagements_are_written_in_batches_not_per_activity(tmp_path):
    def queries_for(count: int, prefix: str) -> int:
        path = write(
            tmp_path,
            *[activity_xml(f"XI-TEST-1-{prefix}{n}", body=DATED) for n in range(count)],
            name=f"{prefix}.xml",
        )
        with CaptureQueriesContext(connection) as queries:
            iati_import(paths=[path])
        return len(queries)

    queries_for(1, "warm")  # the stakeholders and the outcome exist from here on
    few, many = queries_for(5, "few"), queries_for(200, "many")
    assert Engagement.objects.count() == 206
    # A few queries per batch of 500 activities; SQLite splits a long INSERT by its 999
    # parameters (an engagement row has 27), which is what the handful more are.
    assert many - few <= 10


def test_a_long_list_of_places_is_cut_at_a_whole_name():
    from iati.engagements import PLACE_MAX_LENGTH, engagement_draft
    from iati.parser import Activity

    codes = [
        "YE", "SY", "AF", "SO", "SD", "SS", "ML", "NE", "BF", "TD", "NG", "CM",
        "CF", "CD", "ET", "KE", "UG", "MZ", "MM", "BD", "IQ", "LB", "JO",
    ]  # fmt: skip
    activity = Activity(
        identifier="XI-TEST-1-MANY",
        last_updated=None,
        version="2.03",
        default_currency="",
        reporting_org=None,
        participating_orgs=(),
        title="",
        dates={"1": dt.date(2024, 1, 1)},
        recipient_countries=tuple((code, None) for code in [*codes, "QQ"]),
        recipient_regions=(("1", "298", None),),
        sectors=(),
        other_sector_count=0,
        gender_marker=None,
        budget_total=None,
    )
    draft = engagement_draft(activity, stakeholder_of=lambda org: None, outcome_ids=[])
    assert len(draft.place) <= PLACE_MAX_LENGTH
    assert draft.place.startswith("Yemen; Syria")
    shown = draft.place.rsplit(" and ", 1)[0].split("; ")
    assert 10 < len(shown) < len(codes)
    assert draft.place.endswith(f" and {len(codes) - len(shown)} more")
    assert "Africa, regional" not in draft.place  # countries first; regions only without them
    assert draft.title == "XI-TEST-1-MANY"  # untitled: the identifier
    assert (draft.country, draft.participants, draft.end_date) == ("YE", (), None)
