"""Receivers of the accounts app.

A saved or deleted partner token leaves the cache at once, and again when the transaction
commits (a request reading the row meanwhile may have cached the old state), and the tokens'
revision moves both times so that every process's own copy is read afresh: revocation takes
effect from the next request, as the tokens page promises.

A person holding the clearance gets a short session when they sign in.
"""

import uuid

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import PartnerToken
from .roles import CLEARANCE_PERMISSION
from .selectors import TOKEN_REVISION_KEY, token_cache_key, token_forget_here


@receiver(post_save, sender=PartnerToken, dispatch_uid="accounts-token-cache-save")
@receiver(post_delete, sender=PartnerToken, dispatch_uid="accounts-token-cache-delete")
def token_cache_drop(sender, instance, using=None, **kwargs):
    def drop():
        # The shared copy goes, and the revision moves: processes that keep a copy of any token
        # read it afresh at their next request with it (accounts.selectors.token_read).
        cache.set(TOKEN_REVISION_KEY, uuid.uuid4().hex, timeout=None)
        cache.delete(key)
        token_forget_here(instance.prefix)

    key = token_cache_key(instance.prefix)
    drop()
    transaction.on_commit(drop, using=using)


def session_shorten_if_cleared(request, user) -> None:
    """A session of someone holding the clearance lasts ``SESSION_COOKIE_AGE_CLEARED`` (8 hours)
    from its last change, not two weeks. Called at sign-in and when the second factor is passed
    (a clearance granted during a session is then in force)."""
    session = getattr(request, "session", None)
    if session is not None and user.has_perm(CLEARANCE_PERMISSION):
        session.set_expiry(settings.SESSION_COOKIE_AGE_CLEARED)


@receiver(user_logged_in, dispatch_uid="accounts-cleared-session-short")
def cleared_session_short(sender, request, user, **kwargs):
    session_shorten_if_cleared(request, user)
