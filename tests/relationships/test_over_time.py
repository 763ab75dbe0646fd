"""Salience assessments and position history, through the services a person would use and the
pages they would read: dated, validated, earlier ones kept, hidden actors never shown."""

import datetime

import pytest
from django.urls import reverse

from relationships import positions, services
from relationships.models import SalienceAssessment
from relationships.selectors import outcome_positions, outcome_salience, stakeholder_salience
from smartdiplomacy.exceptions import ApplicationError
from stakeholders import services as registry
from stakeholders.choices import Sensitivity
from tests.conftest import login_verified
from tests.relationships.helpers import hidden_actor
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def day(months_ago: int, on: int = 10) -> datetime.date:
    year, month = TODAY.year, TODAY.month - months_ago
    while month < 1:
        year, month = year - 1, month + 12
    return min(datetime.date(year, month, on), TODAY)


def assess(user, actor, outcome, p, lg, u, **fields):
    return services.salience_assess(
        user=user, stakeholder=actor, outcome=outcome, power=p, legitimacy=lg, urgency=u, **fields
    )


# --- salience ---------------------------------------------------------------------------------


def test_a_reassessment_is_a_new_row_and_the_latest_gives_the_class(officer):
    actor, outcome = StakeholderFactory(name="Sahel Union"), OutcomeFactory()
    assess(officer, actor, outcome, 3, 0, 0, assessed_on=day(3), note="Funds the plan")
    assess(officer, actor, outcome, 3, 2, 3, assessed_on=day(1))
    assert SalienceAssessment.objects.count() == 2
    data = outcome_salience(outcome=outcome, user=officer)
    assert [row.salience.key for row in data["latest"]] == ["definitive"]
    counts = {entry["cls"].key: entry["count"] for entry in data["classes"]}
    assert counts["definitive"] == 1 and counts["dormant"] == 0
    assert [row.salience.key for row in data["assessments"]] == ["definitive", "dormant"]
    (entry,) = stakeholder_salience(stakeholder=actor, user=officer)
    assert entry["latest"].salience.key == "definitive"
    assert [row.note for row in entry["earlier"]] == ["Funds the plan"]
    assert entry["latest"].assessed_by == officer


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"power": 4}, "power"),
        ({"urgency": -1}, "urgency"),
        ({"assessed_on": TODAY + datetime.timedelta(days=1)}, "assessed_on"),
    ],
)
def test_out_of_range_or_future_is_refused_naming_the_field(officer, fields, field):
    actor, outcome = StakeholderFactory(), OutcomeFactory()
    values = {"power": 1, "legitimacy": 1, "urgency": 1, **fields}
    with pytest.raises(ApplicationError) as caught:
        services.salience_assess(user=officer, stakeholder=actor, outcome=outcome, **values)
    assert caught.value.field == field
    assert not SalienceAssessment.objects.exists()


def test_a_hidden_actor_is_refused_like_a_missing_one_and_its_salience_never_shown(
    officer, cleared_analyst
):
    outcome, visible, secret = OutcomeFactory(), StakeholderFactory(), hidden_actor()
    with pytest.raises(ApplicationError) as caught:
        assess(officer, secret, outcome, 3, 3, 3)
    assert caught.value.field == "stakeholder" and "does not exist" in str(caught.value)
    assess(cleared_analyst, secret, outcome, 3, 3, 3)
    assess(cleared_analyst, visible, outcome, 0, 2, 0)
    seen = outcome_salience(outcome=outcome, user=officer)
    assert [row.stakeholder for row in seen["latest"]] == [visible]
    assert {e["cls"].key: e["count"] for e in seen["classes"]}["definitive"] == 0
    assert len(outcome_salience(outcome=outcome, user=cleared_analyst)["latest"]) == 2


def test_salience_recorded_while_an_actor_was_hidden_stays_out_once_it_is_public(
    officer, cleared_analyst
):
    outcome, actor = OutcomeFactory(), hidden_actor()
    assess(cleared_analyst, actor, outcome, 3, 3, 3)
    registry.stakeholder_update(stakeholder=actor, sensitivity=Sensitivity.PUBLIC)
    assert outcome_salience(outcome=outcome, user=officer)["latest"] == []
    assess(officer, actor, outcome, 0, 2, 0)
    assert [r.salience.key for r in outcome_salience(outcome=outcome, user=officer)["latest"]] == [
        "discretionary"
    ]


def test_deleting_an_outcome_with_hidden_salience_archives_it(officer, cleared_analyst):
    outcome, secret, visible = OutcomeFactory(), hidden_actor(), StakeholderFactory()
    assess(cleared_analyst, secret, outcome, 3, 3, 3)
    assess(officer, visible, outcome, 3, 3, 3)
    assert registry.outcome_delete(outcome=outcome, user=officer) == "archived"
    assert list(SalienceAssessment.objects.values_list("stakeholder", flat=True)) == [secret.pk]


# --- stake assessments over time --------------------------------------------------------------


def test_a_stake_change_is_dated_today_unless_told_and_never_in_the_future():
    actor, outcome = StakeholderFactory(), OutcomeFactory()
    stake = registry.stake_create(
        stakeholder=actor, outcome=outcome, interest=0.5, influence=0.5, assessed_on=day(5)
    )
    assert stake.assessed_on == day(5)
    registry.stake_update(stake=stake, notes="typo fixed")
    assert stake.assessed_on == day(5)  # not a re-assessment
    registry.stake_update(stake=stake, position="opposes", source="Minister's speech")
    assert stake.assessed_on == TODAY
    with pytest.raises(Exception, match="future"):
        registry.stake_update(stake=stake, assessed_on=TODAY + datetime.timedelta(days=1))
    history = list(stake.history.order_by("history_date").values_list("position", "source"))
    assert history[-1] == ("opposes", "Minister's speech")


def test_support_and_opposition_by_month_and_who_moved(officer, cleared_analyst):
    outcome = OutcomeFactory()
    firm, ngo, state = (StakeholderFactory(name=n) for n in ("Firm", "NGO", "State"))
    secret = hidden_actor(name="Hidden militia")
    s_firm = registry.stake_create(
        stakeholder=firm,
        outcome=outcome,
        interest=0.5,
        influence=0.8,
        position="opposes",
        assessed_on=day(6),
    )
    registry.stake_create(
        stakeholder=ngo,
        outcome=outcome,
        interest=0.9,
        influence=0.3,
        position="supports",
        assessed_on=day(6),
    )
    s_state = registry.stake_create(
        stakeholder=state,
        outcome=outcome,
        interest=0.5,
        influence=0.9,
        position="neutral",
        assessed_on=day(4),
    )
    s_secret = registry.stake_create(
        stakeholder=secret,
        outcome=outcome,
        interest=1,
        influence=1,
        position="opposes",
        assessed_on=day(6),
    )
    registry.stake_update(stake=s_firm, position="supports", assessed_on=day(2), notes="Signed")
    registry.stake_update(stake=s_state, position="opposes", assessed_on=day(1))
    registry.stake_update(stake=s_secret, position="supports", assessed_on=day(1))

    seen = outcome_positions(outcome=outcome, user=officer)
    by_month = {row["end"].strftime("%Y-%m"): row for row in seen["series"]}
    six, three, now = (by_month[day(m).strftime("%Y-%m")] for m in (6, 3, 0))
    assert six["count"] == {"supports": 1, "neutral": 0, "opposes": 1}
    assert three["count"] == {"supports": 1, "neutral": 1, "opposes": 1}
    assert now["count"] == {"supports": 2, "neutral": 0, "opposes": 1}
    assert now["weight"] == {"supports": 1.1, "neutral": 0.0, "opposes": 0.9}
    assert [(m["stakeholder"].name, m["before"], m["after"], m["day"]) for m in seen["moves"]] == [
        ("State", "neutral", "opposes", day(1)),
        ("Firm", "opposes", "supports", day(2)),
    ]
    # The cleared see the hidden actor in every month and among those who moved.
    cleared = outcome_positions(outcome=outcome, user=cleared_analyst)
    cleared_now = {row["end"].strftime("%Y-%m"): row for row in cleared["series"]}[
        day(0).strftime("%Y-%m")
    ]
    assert cleared_now["count"]["supports"] == 3
    assert "Hidden militia" in [m["stakeholder"].name for m in cleared["moves"]]


def test_a_stake_moved_to_another_outcome_leaves_the_first():
    first, second, actor = OutcomeFactory(), OutcomeFactory(), StakeholderFactory()
    stake = registry.stake_create(
        stakeholder=actor, outcome=first, interest=0.5, influence=0.5, assessed_on=day(3)
    )
    registry.stake_update(stake=stake, outcome=second, assessed_on=day(1))
    series = outcome_positions(outcome=first, user=None)["series"]
    assert [row["count"]["supports"] for row in series][-4:] == [1, 1, 0, 0]


def test_month_ends_and_state_on_by_hand():
    ends = positions.month_ends(today=datetime.date(2026, 3, 15), months=4)
    assert ends == [
        datetime.date(2025, 12, 31),
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 15),
    ]
    rows = positions.timelines(
        [
            positions.Assessment(1, datetime.date(2026, 2, 1), positions.State(7, "opposes", 0.5)),
            positions.Assessment(1, datetime.date(2026, 1, 1), positions.State(7, "supports", 1)),
        ]
    )[1]
    assert positions.state_on(rows, datetime.date(2025, 12, 31)) is None
    assert positions.state_on(rows, datetime.date(2026, 1, 31)).position == "supports"
    assert positions.state_on(rows, datetime.date(2026, 2, 1)).position == "opposes"


# --- pages --------------------------------------------------------------------------------------


def test_the_outcome_page_shows_salience_beside_the_grid_and_the_chart(client, officer):
    outcome, actor = OutcomeFactory(title="Water security"), StakeholderFactory(name="Relief Mali")
    stake = registry.stake_create(
        stakeholder=actor, outcome=outcome, interest=0.5, influence=0.5, assessed_on=day(4)
    )
    registry.stake_update(stake=stake, position="opposes", assessed_on=day(1))
    assess(officer, actor, outcome, 3, 3, 1)
    login_verified(client, officer)
    page = client.get(outcome.get_absolute_url()).content.decode()
    aside = page[page.index('class="outcome-side"') : page.index('class="quadrant-lists"')]
    assert "salience-venn" in aside and "Dominant" in aside
    assert "Support and opposition over time" in page
    assert 'Relief Mali</a> <span class="position-supports">supports</span>' in page
    assert 'class="line-opposes"' in page


def test_the_quick_form_records_an_assessment_and_returns_to_the_outcome(client, officer):
    outcome, actor = OutcomeFactory(), StakeholderFactory()
    login_verified(client, officer)
    url = reverse("relationships:salience_assess") + f"?outcome={outcome.pk}"
    form = client.get(url)
    assert form.status_code == 200 and form.context["form"].initial["outcome"] == outcome.pk
    data = {
        "stakeholder": actor.pk,
        "outcome": outcome.pk,
        "power": "2",
        "legitimacy": "0",
        "urgency": "3",
        "assessed_on": TODAY.isoformat(),
        "note": "Armed and in a hurry",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response.url.startswith(outcome.get_absolute_url())
    assert SalienceAssessment.objects.get().salience.key == "dangerous"
    data["assessed_on"] = (TODAY + datetime.timedelta(days=2)).isoformat()
    refused = client.post(url, data)
    assert refused.status_code == 400 and "future" in refused.content.decode()


def test_an_analyst_reads_salience_but_cannot_assess(client, analyst):
    login_verified(client, analyst)
    assert client.get(reverse("relationships:salience_assess")).status_code == 403
