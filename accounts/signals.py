"""A saved or deleted partner token leaves the cache at once, and again when the transaction
commits (a request reading the row meanwhile may have cached the old state): revocation takes
effect from the next request, as the tokens page promises."""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import PartnerToken
from .selectors import token_cache_key


@receiver(post_save, sender=PartnerToken, dispatch_uid="accounts-token-cache-save")
@receiver(post_delete, sender=PartnerToken, dispatch_uid="accounts-token-cache-delete")
def token_cache_drop(sender, instance, using=None, **kwargs):
    key = token_cache_key(instance.prefix)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key), using=using)
