"""smartdiplomacy.object_views: the one adapter from service errors to forms, and the generic
create/update/delete page views built on it."""

import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.test import RequestFactory

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.object_views import form_service_error, object_delete_view, object_form_view


class NameForm(forms.Form):
    name = forms.CharField()


def bound(data=None) -> NameForm:
    form = NameForm(data if data is not None else {"name": "Aden"})
    assert form.is_valid()
    return form


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ValidationError({"name": ["Taken."]}), {"name": ["Taken."]}),
        (ValidationError({"slug": ["Taken."]}), {NON_FIELD_ERRORS: ["Taken."]}),  # not on the form
        (ValidationError("Refused."), {NON_FIELD_ERRORS: ["Refused."]}),
        (ApplicationError("Too long.", "name"), {"name": ["Too long."]}),
        (ApplicationError("Closed."), {NON_FIELD_ERRORS: ["Closed."]}),
    ],
)
def test_a_service_error_lands_beside_its_field_or_on_top(error, expected):
    form = bound()
    form_service_error(form, error)
    assert form.errors == expected


def test_a_form_may_say_where_errors_for_fields_it_lacks_go():
    class AliasForm(NameForm):
        def error_target(self, key):
            return "name" if key == "title" else key if key in self.fields else NON_FIELD_ERRORS

    form = AliasForm({"name": "Aden"})
    assert form.is_valid()
    form_service_error(form, ValidationError({"title": ["Taken."]}))
    assert form.errors == {"name": ["Taken."]}


def request(method: str = "post"):
    made = getattr(RequestFactory(), method)("/x/")
    made.session = SessionStore()
    made._messages = FallbackStorage(made)
    return made


def test_the_form_view_saves_says_so_and_redirects():
    saved = []
    response = object_form_view(
        request(),
        form=bound(),
        save=lambda form: saved.append(form.cleaned_data["name"]) or "Aden",
        template="never-rendered.html",
        context={},
        message=lambda name: f"Recorded {name}.",
        success_url=lambda name: f"/places/{name}/",
    )
    assert (response.status_code, response["Location"], saved) == (302, "/places/Aden/", ["Aden"])


def test_the_form_view_shows_a_refusal_on_the_form(monkeypatch):
    rendered = {}

    def fake_render(request, template, context, **kwargs):
        rendered.update(template=template, context=context)
        return "page"

    monkeypatch.setattr("smartdiplomacy.object_views.render", fake_render)

    def refuse(form):
        raise ApplicationError("Taken.", "name")

    answer = object_form_view(
        request(),
        form=bound(),
        save=refuse,
        template="form.html",
        context={"extra": 1},
        message=lambda obj: "never",
        success_url=lambda obj: "/never/",
    )
    assert answer == "page"
    assert rendered["template"] == "form.html" and rendered["context"]["extra"] == 1
    assert rendered["context"]["form"].errors == {"name": ["Taken."]}


def test_the_delete_view_answers_400_with_the_reason_when_the_service_refuses(monkeypatch):
    captured = {}

    def fake_render(request, template, context, status=200):
        captured.update(context=context, status=status)
        return status

    monkeypatch.setattr("smartdiplomacy.object_views.render", fake_render)

    def refuse():
        raise ApplicationError("It still has stakes you cannot see.")

    status = object_delete_view(
        request(),
        delete=refuse,
        template="confirm.html",
        context={"what": "outcome"},
        message="never",
        success_url="/never/",
    )
    assert status == 400
    assert captured["context"] == {
        "what": "outcome",
        "error": "It still has stakes you cannot see.",
    }
    # A GET only asks.
    assert (
        object_delete_view(
            request("get"),
            delete=refuse,
            template="confirm.html",
            context={},
            message="never",
            success_url="/never/",
        )
        == 200
    )
