"""The one safe-redirect rule (smartdiplomacy.redirects), tested once for every page using it."""

import pytest
from django.test import RequestFactory

from smartdiplomacy.redirects import safe_next_url, safe_referer

DEFAULT = "/home/"


def _post(next_url, *, secure=False):
    return RequestFactory().post("/x/", {"next": next_url}, secure=secure)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/steal",  # another host
        "//evil.example/steal",  # scheme-relative: another host
        "///evil.example/steal",
        "/\\evil.example",  # a backslash browsers read as a slash
        "javascript:alert(1)",
        "",
    ],
)
def test_an_address_off_this_site_is_refused(next_url):
    assert safe_next_url(_post(next_url), DEFAULT) == DEFAULT
    request = RequestFactory().get("/x/", HTTP_REFERER=next_url)
    assert safe_referer(request) is None


def test_a_path_on_this_site_is_kept_from_the_form_or_the_query_string():
    assert safe_next_url(_post("/registry/stakeholders/?page=2"), DEFAULT) == (
        "/registry/stakeholders/?page=2"
    )
    request = RequestFactory().get("/x/", {"next": "/jobs/"})
    assert safe_next_url(request, DEFAULT) == "/jobs/"
    assert safe_next_url(RequestFactory().get("/x/", {"back": "/a/"}), DEFAULT, param="back") == (
        "/a/"
    )
    referer = RequestFactory().get("/x/", HTTP_REFERER="http://testserver/registry/")
    assert safe_referer(referer) == "http://testserver/registry/"


def test_https_is_required_when_the_request_came_over_https():
    assert safe_next_url(_post("http://testserver/jobs/", secure=True), DEFAULT) == DEFAULT
    assert safe_next_url(_post("https://testserver/jobs/", secure=True), DEFAULT) == (
        "https://testserver/jobs/"
    )
    assert safe_next_url(_post("http://testserver/jobs/"), DEFAULT) == "http://testserver/jobs/"
    assert safe_next_url(_post("/jobs/", secure=True), DEFAULT) == "/jobs/"
