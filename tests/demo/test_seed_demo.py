"""`manage.py seed_demo`: the demo scenario, demo users and the synthetic benchmark registry."""

import hashlib
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.roles import Role
from demo import scenario, users
from stakeholders.choices import Kind, Position, Sensitivity, TieKind
from stakeholders.models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder, Tie
from stakeholders.selectors import user_is_cleared
from stakeholders.synthetic import generation, storage

pytestmark = pytest.mark.django_db

SECTOR_CODELIST = Path(settings.BASE_DIR) / "iati/codelists/Sector.xml"


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def registry_rows() -> dict[str, list[tuple]]:
    """Every registry row as plain values keyed by natural keys (no ids, no timestamps)."""
    keys = {pk: (name, str(country)) for pk, name, country in Stakeholder.objects.values_list(
        "id", "name", "country"
    )}  # fmt: skip
    sectors_of: dict[int, list[str]] = {}
    for actor_id, code in Stakeholder.sectors.through.objects.values_list(
        "stakeholder_id", "sector__code"
    ):
        sectors_of.setdefault(actor_id, []).append(code)
    ids_of: dict[int, list[tuple]] = {}
    for actor_id, scheme, value in ExternalIdentifier.objects.values_list(
        "stakeholder_id", "scheme", "value"
    ):
        ids_of.setdefault(actor_id, []).append((scheme, value))
    titles = dict(Outcome.objects.values_list("id", "title"))
    stakeholders = [
        (
            keys[a.pk], a.acronym, a.kind, str(a.country_of_origin), a.scope,
            keys.get(a.parent_id), int(a.capabilities), a.digital_presence, a.women_led,
            a.women_leadership_share, a.sensitivity, a.description, a.website,
            tuple(sorted(sectors_of.get(a.pk, []))), tuple(sorted(ids_of.get(a.pk, []))),
        )
        for a in Stakeholder.objects.all()
    ]  # fmt: skip
    outcomes = [
        (o.title, o.theme, o.description, o.geography, tuple(str(c) for c in o.countries),
         int(o.needed_capabilities))
        for o in Outcome.objects.all()
    ]  # fmt: skip
    stakes = [
        (keys[s], titles[o], i, f, p, n, src)
        for s, o, i, f, p, n, src in Stake.objects.values_list(
            "stakeholder_id", "outcome_id", "interest", "influence", "position", "notes", "source"
        )
    ]
    ties = [
        (keys[a], keys[b], kind, strength, start, end, source, notes)
        for a, b, kind, strength, start, end, source, notes in Tie.objects.values_list(
            "from_stakeholder_id", "to_stakeholder_id", "kind", "strength", "start_date",
            "end_date", "source", "notes",
        )
    ]  # fmt: skip
    users = [
        (u.username, u.first_name, u.last_name, u.email, u.password, u.is_staff, u.is_superuser,
         tuple(sorted(u.groups.values_list("name", flat=True))),
         tuple(sorted(u.user_permissions.values_list("codename", flat=True))))
        for u in get_user_model().objects.all()
    ]  # fmt: skip
    return {
        "sectors": sorted(Sector.objects.values_list("code", "name")),
        "stakeholders": sorted(stakeholders, key=repr),
        "outcomes": sorted(outcomes),
        "stakes": sorted(stakes, key=repr),
        "ties": sorted(ties, key=repr),
        "users": sorted(users),
    }


def checksum(rows: dict[str, list[tuple]]) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def history_counts() -> dict[str, int]:
    return {m.__name__: m.history.count() for m in (Sector, Stakeholder, Outcome, Stake, Tie)}


# --- the demo scenario ----------------------------------------------------------------------------


def test_demo_scenario_meets_the_numbers():
    output = seed()

    actors = Stakeholder.objects.all()
    assert actors.count() >= 200
    assert set(actors.values_list("kind", flat=True)) == set(Kind.values)
    assert actors.values("country").distinct().count() >= 12
    assert actors.filter(kind=Kind.STATE, parent__kind=Kind.STATE).count() >= 10
    diaspora = actors.filter(kind=Kind.DIASPORA)
    assert diaspora.exists() and not diaspora.filter(country_of_origin="").exists()
    assert actors.get(acronym="UN Women").external_ids.get().value == "41146"
    assert actors.get(acronym="FCDO").parent.name == "Government of the United Kingdom"

    sensitivity = Counter(actors.values_list("sensitivity", flat=True))
    hidden = sensitivity[Sensitivity.RESTRICTED] + sensitivity[Sensitivity.CONFIDENTIAL]
    assert sensitivity[Sensitivity.RESTRICTED] >= 10
    assert sensitivity[Sensitivity.CONFIDENTIAL] >= 2
    assert 0.05 <= hidden / actors.count() <= 0.15
    # The do-no-harm case: local, diaspora and grassroots actors, never the big institutions.
    hidden_kinds = set(
        actors.exclude(sensitivity=Sensitivity.PUBLIC).values_list("kind", flat=True)
    )
    assert hidden_kinds <= {Kind.WOMENS_GROUP, Kind.GRASSROOTS, Kind.DIASPORA, Kind.NGO, Kind.MEDIA,
                            Kind.FAITH_BASED}  # fmt: skip
    assert {Kind.WOMENS_GROUP, Kind.GRASSROOTS, Kind.DIASPORA} <= hidden_kinds
    assert (
        not actors.exclude(sensitivity=Sensitivity.PUBLIC)
        .exclude(description__contains=scenario.INVENTED)
        .exists()
    )

    outcomes = Outcome.objects.all()
    assert outcomes.count() == 20
    for outcome in outcomes:
        assert outcome.title and outcome.theme and outcome.geography and outcome.description
        assert int(outcome.needed_capabilities) > 0
    assert outcomes.exclude(countries="").count() == 18  # two are global
    assert outcomes.values("theme").distinct().count() >= 8

    stakes = Stake.objects.all()
    assert stakes.count() >= 1000
    assert not stakes.filter(interest__lt=0).exists() and not stakes.filter(interest__gt=1).exists()
    assert not stakes.filter(influence__lt=0).exists()
    assert not stakes.filter(influence__gt=1).exists()
    positions = Counter(stakes.values_list("position", flat=True))
    assert positions[Position.SUPPORTS] > 0.7 * stakes.count()
    assert positions[Position.NEUTRAL] >= 20 and positions[Position.OPPOSES] >= 5
    # Every actor holds a stake; every outcome has many stakeholders.
    assert not actors.filter(stakes__isnull=True).exists()
    assert min(outcomes.annotate(n=Count("stakes")).values_list("n", flat=True)) >= 20
    # Stakes follow geography: local actors hold stakes only in outcomes where they work.
    yemeni_locals = actors.filter(country="YE", scope=Stakeholder.Scope.LOCAL)
    assert yemeni_locals.exists()
    for stake in Stake.objects.filter(stakeholder__in=yemeni_locals).select_related("outcome"):
        assert "YE" in [str(c) for c in stake.outcome.countries] or not stake.outcome.countries
    russia = actors.get(name="Government of the Russian Federation")
    assert set(russia.stakes.values_list("position", flat=True)) == {Position.OPPOSES}

    ties = Tie.objects.all()
    assert ties.count() >= 300
    assert set(ties.values_list("kind", flat=True)) == set(TieKind.values)
    assert ties.values("strength").distinct().count() > 20
    assert ties.filter(start_date__isnull=False).count() > 0.8 * ties.count()
    assert ties.filter(end_date__isnull=False).exists()
    assert not ties.filter(source="").exists()

    assert Sector.objects.count() == len(scenario.DEMO_SECTORS)
    assert Stakeholder.objects.filter(sectors__code="15170").exists()
    # Change history exists for every demo row (a stakeholder's sectors add a second record).
    for model in (Sector, Stakeholder, Outcome, Stake, Tie):
        assert model.history.values("id").distinct().count() == model.objects.count()
    assert "Created" in output and "analyst.cleared" in output


@pytest.mark.skipif(not SECTOR_CODELIST.exists(), reason="IATI Sector codelist not available")
def test_demo_sectors_are_real_dac_codes_with_their_codelist_names():
    items = ET.parse(SECTOR_CODELIST).getroot().iter("codelist-item")
    codelist = {item.findtext("code"): item.find("name/narrative").text for item in items}
    for code, name in scenario.DEMO_SECTORS:
        assert codelist.get(code) == name, code


def test_second_run_changes_nothing():
    from relationships.models import FollowUp, Interaction
    from relationships.selectors import (
        follow_up_visible_to,
        interaction_visible_to,
        outcome_positions,
        salience_visible_to,
    )

    first = seed()
    rows, history = registry_rows(), history_counts()
    # A new user sees interactions and follow-ups, one of them only if cleared.
    assert "Logged 12 demo interactions" in first
    assert Interaction.objects.count() == 12 and FollowUp.objects.count() == 5
    analyst = get_user_model().objects.get(username="analyst")
    assert interaction_visible_to(analyst).count() == 11
    assert follow_up_visible_to(analyst).count() == 4
    # Stakes re-assessed over the year and salience assessed: one of each only for the cleared.
    assert "Recorded 12 dated stake re-assessments and 14 salience assessments" in first
    assert salience_visible_to(analyst).count() == 13
    chad = Outcome.objects.get(title__startswith="Protection and livelihoods for Sudanese")
    moved = outcome_positions(outcome=chad, user=analyst)
    assert "Government of Chad" in [move["stakeholder"].name for move in moved["moves"]]
    assert len({tuple(row["count"].values()) for row in moved["series"]}) > 3  # it moves

    output = seed()

    assert "Demo scenario already loaded" in output
    assert registry_rows() == rows
    assert checksum(registry_rows()) == checksum(rows)
    assert history_counts() == history
    assert Interaction.objects.count() == 12 and FollowUp.objects.count() == 5


def test_a_partly_loaded_database_is_completed():
    seed()
    before = registry_rows()
    local = Stakeholder.objects.filter(
        scope=Stakeholder.Scope.LOCAL, children__isnull=True, ties_out__isnull=False
    ).first()
    local.delete()  # with its stakes and ties
    Stake.objects.filter(pk__in=Stake.objects.order_by("id").values("id")[:100]).delete()
    Tie.objects.filter(kind=TieKind.FUNDS).order_by("id").first().delete()
    Outcome.objects.get(title="Information integrity in Ukraine").delete()
    Sector.objects.get(code="15220").delete()

    output = seed()

    assert "Created 1 sectors, 1 stakeholders, 1 outcomes" in output
    after = registry_rows()
    # Existing actors are left as they are, so their links to the re-created sector stay lost;
    # everything else is back exactly as it was.
    for rows in (before, after):
        rows["stakeholders"] = [row[:13] + row[14:] for row in rows["stakeholders"]]
    assert after == before


def test_the_scenario_is_deterministic():
    built = scenario.demo_scenario()
    scenario.demo_scenario.cache_clear()
    assert scenario.demo_scenario() == built

    seed()
    first = checksum(registry_rows())
    # Wipe the registry in SQL (the ORM's cascade with history takes far longer); the history
    # rows stay, which is fine: a fresh load does not read them.
    for model in (Stakeholder, Outcome, Sector):
        storage._raw_delete(model, model.objects.all())
    assert not Stake.objects.exists() and not Tie.objects.exists()
    seed()
    assert checksum(registry_rows()) == first


def test_the_scenario_does_not_depend_on_hash_ordering():
    """Set and dict orders vary with PYTHONHASHSEED; the scenario must not."""
    script = (
        "import django, hashlib; django.setup();"
        "from demo.scenario import demo_scenario; s = demo_scenario();"
        "print(hashlib.sha256(repr((s.stakeholders, s.outcomes, s.stakes, s.ties)).encode())"
        ".hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "DJANGO_SETTINGS_MODULE": "smartdiplomacy.settings.test",
        }
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def test_every_demo_row_passes_model_validation():
    seed()
    for model in (Sector, Stakeholder, Outcome, ExternalIdentifier):
        for row in model.objects.all():
            row.full_clean()
    # Stakes and ties are many and each full_clean costs several queries: every third one.
    for model in (Stake, Tie):
        for row in model.objects.order_by("id")[::3]:
            row.full_clean()


def test_demo_users_have_their_roles_and_clearance():
    seed()
    User = get_user_model()
    expected = {
        "admin": (Role.ADMINISTRATOR, True),
        "analyst": (Role.ANALYST, False),
        "analyst.cleared": (Role.ANALYST, True),
        "officer": (Role.PROGRAM_OFFICER, True),
        "reviewer": (Role.REVIEWER, False),
    }
    for username, (role, cleared) in expected.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user_is_cleared(user) is cleared
        assert user.check_password(users.DEMO_PASSWORD)
        assert user.first_name and user.last_name
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.has_perm("stakeholders.view_restricted_stakeholder")
    assert not User.objects.get(username="analyst").is_staff

    # Repair without surprises: a lost group or clearance comes back, the password stays.
    analyst = User.objects.get(username="analyst.cleared")
    analyst.user_permissions.clear()
    analyst.groups.clear()
    password_hash = analyst.password
    rows = users.demo_users_ensure()
    analyst = User.objects.get(username="analyst.cleared")
    assert user_is_cleared(analyst) and analyst.password == password_hash
    assert [row["created"] for row in rows] == [False] * 5


# --- the synthetic registry -----------------------------------------------------------------------


def synthetic_counts() -> dict[str, int]:
    actors = storage.synthetic_stakeholders()
    return {
        "stakeholders": actors.count(),
        "outcomes": storage.synthetic_outcomes().count(),
        "stakes": Stake.objects.filter(stakeholder__in=actors).count(),
        "ties": Tie.objects.filter(from_stakeholder__in=actors).count(),
    }


def test_synthetic_registry_has_the_sizes_asked_for_and_leaves_the_demo_alone():
    seed()
    demo_rows = registry_rows()

    output = seed("--stakeholders", "2000", "--stakes", "20000", "--ties", "1000")

    assert synthetic_counts() == {
        "stakeholders": 2000, "outcomes": 40, "stakes": 20000, "ties": 1000
    }  # fmt: skip
    assert "insert_stakes" in output and "Created 2,000 stakeholders" in output
    actors = storage.synthetic_stakeholders()
    stakes = Stake.objects.filter(stakeholder__in=actors)
    assert stakes.values("stakeholder", "outcome").distinct().count() == 20000
    assert not stakes.exclude(outcome__in=storage.synthetic_outcomes()).exists()
    assert (
        not stakes.filter(interest__gt=1).exists() and not stakes.filter(influence__lt=0).exists()
    )
    assert set(actors.values_list("kind", flat=True)) == set(Kind.values)
    hidden = actors.exclude(sensitivity=Sensitivity.PUBLIC).count()
    assert 0.02 * 2000 <= hidden <= 0.09 * 2000
    assert not actors.filter(kind=Kind.DIASPORA, country_of_origin="").exists()
    assert not actors.exclude(kind=Kind.DIASPORA).exclude(country_of_origin="").exists()
    ties = list(
        Tie.objects.filter(from_stakeholder__in=actors).values_list(
            "from_stakeholder_id", "to_stakeholder_id"
        )
    )
    assert all(a != b for a, b in ties)
    assert len({frozenset(pair) for pair in ties}) == 1000  # one tie per pair, either direction
    per_outcome = sorted(
        stakes.values("outcome").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert per_outcome[-1] > 1.5 * np.median(per_outcome)
    assert per_outcome[-1] <= 2000
    # No change history for synthetic rows.
    assert not Stakeholder.history.filter(name__startswith=generation.ACTOR_PREFIX).exists()
    assert not Stake.history.filter(source=generation.SYNTHETIC_SOURCE).exists()

    # A new synthetic set replaces the previous one; the demo stays exactly as it was.
    seed("--stakeholders", "500", "--stakes", "3000", "--outcomes", "200", "--seed", "7")

    assert synthetic_counts() == {"stakeholders": 500, "outcomes": 200, "stakes": 3000, "ties": 0}
    rows = registry_rows()
    for name in ("stakeholders", "stakes", "ties"):
        rows[name] = [row for row in rows[name] if "Synthetic" not in repr(row[:3])]
    rows["outcomes"] = [row for row in rows["outcomes"] if not row[0].startswith("Synthetic")]
    assert rows == demo_rows


def test_synthetic_popularity_is_skewed_towards_a_few_hubs():
    summary = storage.synthetic_registry_create(
        stakeholders=2000, stakes=20000, outcomes=200, seed=1
    )
    assert summary["stakes"] == 20000 and set(summary["seconds"]) >= {"generate", "insert_stakes"}
    per_outcome = sorted(
        Stake.objects.values("outcome").annotate(n=Count("id")).values_list("n", flat=True)
    )
    top, median = per_outcome[-1], np.median(per_outcome)
    assert top >= 10 * median
    assert 0.3 * 2000 <= top <= 0.55 * 2000  # the hub reaches up to about half the registry


def test_synthetic_generation_is_deterministic_for_a_seed():
    sizes = generation.synthetic_sizes_check(stakeholders=300, stakes=2000, ties=100, outcomes=None)
    one = generation.synthetic_registry_generate(sizes, seed=3)
    two = generation.synthetic_registry_generate(sizes, seed=3)
    assert np.array_equal(one.stake_actor, two.stake_actor)
    assert np.array_equal(one.tie_to, two.tie_to)
    assert np.array_equal(one.stakeholders["kind"], two.stakeholders["kind"])


@pytest.mark.parametrize(
    ("stakeholders", "stakes", "ties", "outcomes"),
    [(10, 50, 45, 5), (3, 6, 3, 2), (1, 1, 0, 1)],
)
def test_dense_sizes_fill_every_cell(stakeholders, stakes, ties, outcomes):
    sizes = generation.synthetic_sizes_check(
        stakeholders=stakeholders, stakes=stakes, ties=ties, outcomes=outcomes
    )
    generated = generation.synthetic_registry_generate(sizes, seed=0)
    pairs = set(zip(generated.stake_actor.tolist(), generated.stake_outcome.tolist(), strict=True))
    assert len(pairs) == stakes
    tie_pairs = {frozenset(p) for p in zip(generated.tie_from, generated.tie_to, strict=True)}
    assert len(tie_pairs) == ties and all(len(p) == 2 for p in tie_pairs)


def test_outcome_popularity_is_a_capped_distribution():
    p = generation.outcome_popularity(2000, stakeholders=100_000, stakes=1_000_000)
    assert p.sum() == pytest.approx(1.0)
    assert p[0] * 1_000_000 == pytest.approx(50_000, rel=1e-6)  # the hub: half the registry
    assert p[0] > 100 * np.median(p)
    assert np.all(np.diff(p) <= 1e-15)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--stakeholders", "0"], "--stakeholders"),
        (["--stakeholders", "-5", "--stakes", "10"], "--stakeholders"),
        (["--stakes", "10"], "--stakes"),
        (["--ties", "3"], "--ties"),
        (["--outcomes", "3"], "--outcomes"),
        (["--stakeholders", "10", "--stakes", "-1"], "--stakes"),
        (["--stakeholders", "10", "--stakes", "51", "--outcomes", "5"], "--stakes"),
        (["--stakeholders", "10", "--outcomes", "0"], "--outcomes"),
        (["--stakeholders", "10", "--ties", "-1"], "--ties"),
        (["--stakeholders", "10", "--ties", "46"], "--ties"),
        (["--stakeholders", "10_000_000"], "--stakeholders"),
        (["--seed", "4"], "--seed"),
    ],
)
def test_nonsense_sizes_are_refused_and_write_nothing(args, option):
    storage.synthetic_registry_create(stakeholders=50, stakes=100, ties=20, seed=0)
    before = synthetic_counts()
    total = Stakeholder.objects.count()

    with pytest.raises(CommandError) as excinfo:
        seed(*args)

    assert str(excinfo.value).startswith(option)
    assert synthetic_counts() == before and Stakeholder.objects.count() == total


def test_a_failed_synthetic_load_leaves_the_previous_set(monkeypatch):
    storage.synthetic_registry_create(stakeholders=50, stakes=100, ties=20, seed=0)
    before = synthetic_counts()
    names = set(storage.synthetic_stakeholders().values_list("name", "kind"))

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(storage, "_ties_insert", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        storage.synthetic_registry_create(stakeholders=80, stakes=300, ties=30, seed=5)

    assert synthetic_counts() == before
    assert set(storage.synthetic_stakeholders().values_list("name", "kind")) == names


@pytest.mark.django_db(transaction=True)
def test_loading_the_demo_computes_its_candidate_partnerships():
    from partnerships.models import Candidate, OverlapRun

    call_command("seed_demo", stdout=io.StringIO())
    [run] = OverlapRun.objects.all()
    assert run.status == "succeeded"
    assert Candidate.objects.filter(run=run).count() > 100
    call_command("seed_demo", stdout=io.StringIO())  # already loaded: no second run
    assert OverlapRun.objects.count() == 1
