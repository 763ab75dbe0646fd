"""What the API machinery asks of accounts (above it): named in the settings, loaded at use."""

import functools

from django.conf import settings
from django.utils.module_loading import import_string

# --- What the machinery asks of accounts ------------------------------------------------------
# accounts sits above this core (it raises the core's error type), so the core names what it needs
# from it in the settings (``API_ACCOUNT_HOOKS``, dotted paths, like django-axes' callables) and
# loads it at the first request instead of importing it.


@functools.cache
def _account_hook(name: str):
    return import_string(settings.API_ACCOUNT_HOOKS[name])


def request_token(request):
    """The partner token that authenticated this request, or None (``accounts.tokens``)."""
    return _account_hook("request_token")(request)


def token_recheck(request) -> None:
    """Authenticate again a request whose token came from a process's copy that a change to the
    tokens has made doubtful (``accounts.tokens``)."""
    _account_hook("token_recheck")(request)


def two_factor_outstanding(user) -> bool:
    """Does this person still owe the second factor this session (``accounts.selectors``)?"""
    return _account_hook("two_factor_outstanding")(user)


def restricted_read_record(**kwargs) -> None:
    """Record a cleared person's read of restricted stakeholders (``accounts.services``)."""
    _account_hook("restricted_read_record")(**kwargs)
