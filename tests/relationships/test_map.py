"""The map: coordinates validated, features and clusters per audience, the index by country,
the page and /api/v1/map/."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import RestrictedReadLog
from accounts.services import token_issue
from index import engagement_services
from index import services as index_services
from index.selectors import methodology_current
from index.summaries import index_dashboard
from relationships.clustering import Marker, clusters_make
from relationships.geo import map_view
from stakeholders import services as registry
from stakeholders.choices import Kind
from stakeholders.models import Stakeholder
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.relationships.helpers import hidden_actor
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
API = "map-api:map"


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(view, layer="stakeholder"):
    return {f["properties"]["pk"] for f in view.features if f["properties"]["layer"] == layer}


# --- coordinates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"latitude": 12.6}, "longitude", "both latitude and longitude"),
        ({"longitude": -8.0}, "latitude", "both latitude and longitude"),
        ({"latitude": 90.5, "longitude": 0.0}, "latitude", "between −90 and 90"),
        ({"latitude": 0.0, "longitude": -180.1}, "longitude", "between −180 and 180"),
    ],
)
def test_a_stakeholder_s_point_is_in_range_and_whole_or_refused(fields, field, says):
    with pytest.raises(ValidationError) as refused:
        registry.stakeholder_create(name="Gao Relief", kind=Kind.NGO, country="ML", **fields)
    assert says in " ".join(refused.value.message_dict[field])


def test_an_engagement_s_point_is_checked_by_its_service_and_kept_with_its_area(officer):
    with pytest.raises(ValidationError) as refused:
        engagement_services.engagement_create(
            user=officer, title="Water talks", kind="meeting", start_date="2026-03-01",
            latitude=16.27,
        )  # fmt: skip
    assert "longitude" in refused.value.message_dict
    engagement = engagement_services.engagement_create(
        user=officer, title="Water talks", kind="meeting", start_date="2026-03-01",
        country="ML", subnational_area="Gao", latitude=16.27, longitude=-0.04,
    )  # fmt: skip
    assert (engagement.subnational_area, engagement.latitude) == ("Gao", 16.27)


def test_the_stakeholder_form_saves_a_place(officer, client):
    client.force_login(officer)
    data = {"name": "Mopti Women", "kind": Kind.WOMENS_GROUP, "sensitivity": "public",
            "country": "ML", "scope": "local", "digital_presence": 0,
            "subnational_area": "Mopti", "latitude": "14.49", "longitude": ""}  # fmt: skip
    response = client.post(reverse("stakeholders:stakeholder_create"), data)
    assert "Give both latitude and longitude" in response.content.decode()
    assert not Stakeholder.objects.filter(name="Mopti Women").exists()
    client.post(reverse("stakeholders:stakeholder_create"), {**data, "longitude": "-4.2"})
    saved = Stakeholder.objects.get(name="Mopti Women")
    assert (saved.subnational_area, saved.latitude, saved.longitude) == ("Mopti", 14.49, -4.2)


# --- clusters (pure) ------------------------------------------------------------------------------


def test_at_world_zoom_markers_cluster_by_country_and_the_unplaced_are_counted():
    markers = [
        Marker("stakeholder:1", "stakeholder", "ML", -4.2, 14.5),
        Marker("stakeholder:2", "stakeholder", "ML"),
        Marker("engagement:3", "engagement", "ML", -0.04, 16.27),
        Marker("stakeholder:4", "stakeholder", "NE", 2.1, 13.5),
        Marker("stakeholder:5", "stakeholder", ""),
    ]
    clusters, unplaced = clusters_make(markers, zoom=1)
    assert [(c["key"], c["stakeholders"], c["engagements"]) for c in clusters] == [
        ("country:ML", 2, 1),
        ("country:NE", 1, 0),
    ]
    assert clusters[0]["members"] == ["stakeholder:1", "stakeholder:2", "engagement:3"]
    assert clusters[0]["coordinates"] is None and unplaced == 1


def test_zoomed_in_points_cluster_by_grid_cell_at_their_mean_and_the_rest_by_country():
    markers = [
        Marker("stakeholder:1", "stakeholder", "ML", -4.20, 14.49),  # Mopti
        Marker("stakeholder:2", "stakeholder", "ML", -4.10, 14.53),  # Sévaré, 11 km away
        Marker("stakeholder:3", "stakeholder", "ML", -0.04, 16.27),  # Gao
        Marker("stakeholder:4", "stakeholder", "ML"),
    ]
    clusters, _ = clusters_make(markers, zoom=8)  # cells of 3°
    by_members = {tuple(c["members"]): c for c in clusters}
    mopti = by_members[("stakeholder:1", "stakeholder:2")]
    assert mopti["by"] == "point" and mopti["coordinates"] == [-4.15, 14.51]
    assert by_members[("stakeholder:3",)]["count"] == 1
    assert by_members[("stakeholder:4",)]["key"] == "country:ML"
    closer, _ = clusters_make(markers, zoom=64)  # cells of 0.375°
    assert sum(1 for c in closer if c["by"] == "point") == 3


# --- per audience ---------------------------------------------------------------------------------


def _scored(methodology, country, participants=(), **fields):
    engagement = EngagementFactory(country=country, **fields)
    for stakeholder in participants:
        EngagementParticipantFactory(engagement=engagement, stakeholder=stakeholder)
    index_services.score_compute(engagement=engagement, methodology=methodology)
    return engagement


def test_a_hidden_actor_is_never_mapped_clustered_counted_or_coloured(v1, analyst, cleared_analyst):
    public = StakeholderFactory(country="ML", latitude=14.49, longitude=-4.2)
    secret = hidden_actor(country="NE", subnational_area="Diffa", latitude=13.3, longitude=12.6)
    # An engagement whose women participants are all in the hidden group scores differently
    # for the cleared: the choropleth must colour Niger by the public score for the others.
    _scored(v1, "NE", [public, secret], participants_total=10, participants_women=5)
    cleared_view = map_view(user=cleared_analyst, filters={})
    public_view = map_view(user=analyst, filters={})
    assert secret.pk in _ids(cleared_view) and secret.pk not in _ids(public_view)
    assert all(str(secret.pk) not in str(c["members"]) for c in public_view.clusters)
    niger = {c["country"]: c for c in public_view.countries}["NE"]
    assert niger["stakeholders"] == 0 and niger["engagements"] == 1
    assert "Diffa" not in str(public_view.payload())
    for user, view in ((analyst, public_view), (cleared_analyst, cleared_view)):
        dashboard = index_dashboard(methodology=methodology_current(), user=user)
        expected = {
            row["country"]: round(row["mean_composite"], 1) for row in dashboard["by_country"]
        }
        assert {
            c["country"]: c["mean_composite"] for c in view.countries if c["scored"]
        } == expected
    assert public_view.restricted_ids == [] and cleared_view.restricted_ids == [secret.pk]


def test_the_lists_filters_choose_what_is_mapped(analyst):
    sector_ngo = StakeholderFactory(kind=Kind.NGO, country="ML")
    StakeholderFactory(kind=Kind.FIRM, country="ML")
    registry.stakeholder_update(stakeholder=sector_ngo, tags=["sahel"])
    EngagementFactory(country="ML", kind="meeting")
    EngagementFactory(country="NE", kind="conference")
    view = map_view(user=analyst, filters=QueryDict("kind=ngo&engagement-kind=conference"))
    assert _ids(view) == {sector_ngo.pk}
    assert {
        f["properties"]["country"]
        for f in view.features
        if f["properties"]["layer"] == "engagement"
    } == {"NE"}  # noqa: E501
    assert _ids(map_view(user=analyst, filters=QueryDict("tag=sahel"))) == {sector_ngo.pk}
    only_actors = map_view(user=analyst, filters={}, layers=["stakeholders"])
    assert not _ids(only_actors, "engagement") and only_actors.layers == ["stakeholders"]
    with pytest.raises(ValidationError) as refused:
        map_view(user=analyst, filters=QueryDict("engagement-kind=picnic"))
    assert "engagement-kind" in refused.value.message_dict


# --- API and page ---------------------------------------------------------------------------------


def test_the_api_is_geojson_per_audience_with_a_fixed_query_count(
    v1, analyst, cleared_analyst, django_assert_num_queries
):
    StakeholderFactory(country="ML", latitude=14.49, longitude=-4.2)
    secret = hidden_actor(country="ML", latitude=16.27, longitude=-0.04)
    _scored(v1, "ML", subnational_area="Mopti", latitude=14.49, longitude=-4.2)
    api = _api(analyst)
    api.get(reverse(API))
    with CaptureQueriesContext(connection) as captured:
        body = api.get(reverse(API)).json()
    few = len(captured.captured_queries)
    assert body["type"] == "FeatureCollection"
    assert [f["geometry"] for f in body["features"]] == [
        {"type": "Point", "coordinates": [-4.2, 14.49]}
    ] * 2
    for _ in range(15):
        StakeholderFactory(country="NE")
        _scored(v1, "NE")
    with django_assert_num_queries(few):
        body = api.get(reverse(API), {"zoom": 4}).json()
    assert len(body["features"]) == 1 + 15 + 16
    assert f"stakeholder:{secret.pk}" not in [f["id"] for f in body["features"]]
    assert not RestrictedReadLog.objects.exists()
    cleared = _api(cleared_analyst).get(reverse(API)).json()
    assert f"stakeholder:{secret.pk}" in [f["id"] for f in cleared["features"]]
    assert RestrictedReadLog.objects.get().stakeholder_ids == [secret.pk]


def test_the_api_refuses_tokens_and_names_a_wrong_filter(analyst, administrator):
    issued = token_issue(partner="Partner", created_by=administrator, scopes=["registry:read"])
    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert partner.get(reverse(API)).status_code == 403
    wrong = _api(analyst).get(reverse(API), {"zoom": 0})
    assert wrong.status_code == 400 and "zoom" in wrong.json()["error"]["fields"]
    wrong = _api(analyst).get(reverse(API), {"engagement-kind": "picnic"})
    assert "engagement-kind" in wrong.json()["error"]["fields"]


def test_the_page_draws_from_the_same_view_and_lists_countries(
    v1, analyst, client, django_assert_num_queries
):
    StakeholderFactory(country="ML", name="Radio Mopti")
    hidden_actor(country="TD", name="Adré Women Mediators")
    client.force_login(analyst)
    client.get(reverse("map:map"))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("map:map"))
    few = len(captured.captured_queries)
    text = page.content.decode()
    assert page.status_code == 200 and 'id="map-data"' in text and "Mali" in text
    assert "Adré" not in text, text[text.index("Adré") - 300 : text.index("Adré") + 100]
    assert '"TD"' not in text.split('id="map-data"')[1]
    for _ in range(10):
        StakeholderFactory(country="NE")
        EngagementFactory(country="NE")
    with django_assert_num_queries(few):
        assert client.get(reverse("map:map")).status_code == 200
    assert client.get(reverse("map:map"), {"engagement-kind": "picnic"}).status_code == 400
