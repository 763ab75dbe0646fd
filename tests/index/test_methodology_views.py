"""Methodology versions as administrators manage them, the sensitivity analysis, rescoring runs."""

import random

import pytest
from django.urls import reverse

from index import services
from index.models import Methodology, RescoreRun, Score
from tests.conftest import login_verified
from tests.index.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def _draft_data(methodology, **overrides):
    data = {
        "description": "Digital weighs more.",
        "aggregation": "geometric",
        "pillar_digital": 2,
        "pillar_multi_stakeholder": 1,
        "pillar_feminist": 1,
    }
    for spec in methodology.indicators:
        data[f"weight_{spec['code']}"] = spec["weight"]
        data[f"low_{spec['code']}"] = spec["goalposts"][0]
        data[f"high_{spec['code']}"] = spec["goalposts"][1]
    data.update(overrides)
    return data


def _scored(v1, n=6):
    rng = random.Random(n)
    engagements = [
        EngagementFactory(
            digital_channels=rng.randint(0, 4),
            realtime_reporting=rng.random() < 0.5,
            marginalised_reach=rng.randint(0, 3),
            participants_total=20,
            participants_women=rng.randint(0, 20),
            gbv_safeguards=rng.random() < 0.5,
        )
        for i in range(n)
    ]
    services.methodology_rescore_all(methodology=v1)
    return engagements


def test_methodology_page_shows_the_sensitivity_analysis(client, analyst, v1):
    engagements = _scored(v1, n=30)
    login_verified(client, analyst)
    response = client.get(reverse("index:methodology"))
    assert response.status_code == 200
    sensitivity = response.context["sensitivity"]
    assert sensitivity["ranked"] == len(engagements)
    # A row per indicator and pillar weight (down and up), and the other aggregation last.
    assert len(sensitivity["effects"]) == len(v1.indicators) + 3 + 1
    assert sensitivity["effects"][-1]["change"] == "geometric"
    # D4 is unknown everywhere, so moving its weight moves nothing; rows are sorted by impact.
    by_key = {e["parameter"]: e for e in sensitivity["effects"]}
    assert by_key["D4"]["up"]["max_shift"] == 0 and by_key["D4"]["down"]["max_shift"] == 0
    impact = [
        max(e["down"]["mean_shift"], e["up"]["mean_shift"]) for e in sensitivity["effects"][:-1]
    ]
    assert impact == sorted(impact, reverse=True) and impact[0] > 0
    assert [row["rank"] for row in sensitivity["top"]] == sorted(
        row["rank"] for row in sensitivity["top"]
    )
    page = response.content.decode()
    assert "Sensitivity analysis" in page
    assert engagements[0].title in page or engagements[1].title in page
    # Analysts read the methodology but are not offered the administrators' buttons.
    assert "Copy to a new version" not in page


def test_sensitivity_needs_two_scored_engagements(client, analyst, v1):
    login_verified(client, analyst)
    response = client.get(reverse("index:methodology"))
    assert "needs at least two engagements" in response.content.decode()


def test_administrator_copies_edits_and_publishes_a_version(
    client, administrator, v1, django_capture_on_commit_callbacks
):
    engagements = _scored(v1, n=3)
    old = {s.engagement_id: s.composite for s in Score.objects.filter(methodology=v1)}
    login_verified(client, administrator)

    response = client.post(reverse("index:methodology_copy", args=[v1.pk]))
    draft = Methodology.objects.get(name=v1.name, version=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("index:methodology_edit", args=[draft.pk])
    assert not draft.published and draft.indicators == v1.indicators

    response = client.post(
        reverse("index:methodology_edit", args=[draft.pk]),
        _draft_data(draft, weight_D1=3),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.aggregation == "geometric"
    assert draft.pillar_weights["digital"] == 2
    assert next(s for s in draft.indicators if s["code"] == "D1")["weight"] == 3
    assert not Score.objects.filter(methodology=draft).exists()  # nothing scored while a draft

    # Publishing asks first, with what will move: nothing is published by the question.
    url = reverse("index:methodology_publish", args=[draft.pk])
    preview = client.get(url)
    assert preview.status_code == 200 and "Yes, publish and rescore" in preview.content.decode()
    assert preview.context["preview"]["covered"] == len(engagements)
    assert client.post(url).status_code == 200  # a post without the confirmation asks again
    assert not RescoreRun.objects.filter(methodology=draft).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "yes"})
    run = RescoreRun.objects.get(methodology=draft)
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    run.refresh_from_db()
    assert run.status == RescoreRun.Status.DONE and run.done == run.total == 3
    assert Score.objects.filter(methodology=draft).count() == len(engagements)
    # Old scores keep their version and their values.
    assert {s.engagement_id: s.composite for s in Score.objects.filter(methodology=v1)} == old

    status = client.get(reverse("index:rescore_run_status", args=[run.pk])).json()
    assert status["percent"] == 100 and status["active"] is False and status["done"] == 3
    assert status["job"]["status"] == "succeeded" and status["job"]["progress_done"] == 3
    page = client.get(run.get_absolute_url()).content.decode()
    # The one progress partial, as on the Jobs page; nothing to poll once the run is done.
    assert 'data-job-progress data-active="false"' in page and " · 3/3" in page
    assert "engagements" in page and "js/jobs.js" not in page and "js/runs.js" not in page
    # Afterwards, what moved against the version used before.
    assert "What moved, against Smart Diplomacy Index v1" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"high_D1": 0}, "high_D1", "D1's high goalpost must be above its low goalpost"),
        ({"weight_F2": -1}, "weight_F2", "greater than or equal to 0"),
        ({"pillar_feminist": "lots"}, "pillar_feminist", "Enter a number"),
        ({"aggregation": "median"}, "aggregation", "Select a valid choice"),
    ],
)
def test_a_bad_draft_names_the_field_and_changes_nothing(
    client, administrator, v1, overrides, field, message
):
    draft = services.methodology_copy(methodology=v1)
    before = (draft.indicators, draft.pillar_weights, draft.aggregation)
    login_verified(client, administrator)
    response = client.post(
        reverse("index:methodology_edit", args=[draft.pk]), _draft_data(draft, **overrides)
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    draft.refresh_from_db()
    assert (draft.indicators, draft.pillar_weights, draft.aggregation) == before


def test_all_pillar_weights_zero_is_refused(client, administrator, v1):
    draft = services.methodology_copy(methodology=v1)
    login_verified(client, administrator)
    response = client.post(
        reverse("index:methodology_edit", args=[draft.pk]),
        _draft_data(draft, pillar_digital=0, pillar_multi_stakeholder=0, pillar_feminist=0),
    )
    assert response.status_code == 400
    assert "At least one pillar" in response.content.decode()


def test_a_published_version_cannot_be_edited_or_published_again(client, administrator, v1):
    login_verified(client, administrator)
    response = client.get(reverse("index:methodology_edit", args=[v1.pk]))
    assert response.status_code == 302
    response = client.post(
        reverse("index:methodology_publish", args=[v1.pk]), {"confirm": "yes"}, follow=True
    )
    assert "already published" in response.content.decode()
    assert not RescoreRun.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "officer", "reviewer"])
def test_only_administrators_manage_versions(client, request, v1, role):
    user = request.getfixturevalue(role)
    login_verified(client, user)
    draft = services.methodology_copy(methodology=v1)
    for name, method, pk in [
        ("methodology_copy", "post", v1.pk),
        ("methodology_edit", "get", draft.pk),
        ("methodology_publish", "post", draft.pk),
        ("rescore_start", "post", v1.pk),
    ]:
        response = getattr(client, method)(reverse(f"index:{name}", args=[pk]))
        assert response.status_code == 403, name
    assert Methodology.objects.count() == 2
    assert not RescoreRun.objects.exists()
    # They may read the versions list and a version's page.
    assert client.get(reverse("index:methodology_versions")).status_code == 200
    assert client.get(reverse("index:methodology_version", args=[draft.pk])).status_code == 200


def test_rescoring_again_reuses_an_active_run(client, administrator, v1):
    login_verified(client, administrator)
    client.post(reverse("index:rescore_start", args=[v1.pk]))  # queued: on_commit not run here
    client.post(reverse("index:rescore_start", args=[v1.pk]))
    assert RescoreRun.objects.filter(methodology=v1).count() == 1


def test_a_failed_run_says_why_and_keeps_earlier_scores(v1, monkeypatch):
    engagements = _scored(v1, n=3)
    before = {s.engagement_id: s.computed_at for s in Score.objects.all()}
    run = RescoreRun.objects.create(methodology=v1)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "score_engagement", broken)
    with pytest.raises(RuntimeError):
        services.methodology_rescore_all(methodology=v1, run=run)
    run.refresh_from_db()
    assert run.status == RescoreRun.Status.FAILED
    assert "database went away" in run.error
    assert {s.engagement_id: s.computed_at for s in Score.objects.all()} == before
    assert len(before) == len(engagements)


def test_the_publish_preview_counts_what_a_new_weighting_moves(client, administrator, v1):
    """Doubling the digital pillar's weight: every composite that has a digital score moves,
    and the preview names the engagements whose rank moves most, before anything is written."""
    from index.methodology_review import methodology_preview

    low = EngagementFactory(title="Low digital", digital_channels=0, unscr1325_participation=True)
    high = EngagementFactory(
        title="High digital", digital_channels=5, unscr1325_participation=False
    )
    services.methodology_rescore_all(methodology=v1)
    draft = services.methodology_copy(methodology=v1)
    services.methodology_update(
        methodology=draft, pillar_weights={**v1.pillar_weights, "digital": 10}
    )
    preview = methodology_preview(methodology=draft, user=administrator)
    assert preview["covered"] == 2 and preview["changed"] == 2
    after = {row["title"]: row for row in preview["largest"]}
    assert after["High digital"]["rank_after"] == 1
    assert after["High digital"]["after"] > after["High digital"]["before"]
    assert not Score.objects.filter(methodology=draft).exists()
    assert {low.pk, high.pk} == {row["engagement_id"] for row in preview["largest"]}
