"""The demo's places (demo/data/places.yaml): every town the invented actors are named after is
on the map, with a point in range, so that `make run` shows a populated map."""

from demo.scenario import COUNTRY_PROFILES, DIASPORA_GROUPS, demo_scenario
from demo.vocabulary import demo_place


def test_every_demo_town_has_an_area_and_a_point_in_range():
    towns = [(p.code, town) for p in COUNTRY_PROFILES for town in p.places]
    towns += [(host, city) for host, city, *_ in DIASPORA_GROUPS]
    for country, town in towns:
        place = demo_place(country, town)
        assert place, f"{town}, {country} is not in demo/data/places.yaml"
        assert -90 <= place["latitude"] <= 90 and -180 <= place["longitude"] <= 180
        assert place["subnational_area"]


def test_the_invented_actors_sit_at_their_town_and_the_anchors_by_country():
    located = [s for s in demo_scenario().stakeholders if s.latitude is not None]
    assert len(located) > 100
    bamako = next(s for s in located if s.name == "Bamako Civic Initiative")
    assert (bamako.subnational_area, bamako.latitude, bamako.longitude) == ("Bamako", 12.64, -8.0)
    assert demo_place("ML") == {"subnational_area": "Mopti", "latitude": 14.49, "longitude": -4.2}
    assert demo_place("AQ") == {}
