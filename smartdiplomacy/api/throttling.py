"""Fixed-window rate limits per partner token and per signed-in person."""

import math

from rest_framework import throttling
from rest_framework.settings import api_settings

from smartdiplomacy.cache import incr_window_and_get

from .hooks import request_token, token_recheck

# --- Throttles --------------------------------------------------------------------------------


class SettingsRateThrottle(throttling.SimpleRateThrottle):
    """A fixed-window counter per caller, its rate read from the settings at each request.

    DRF's ``SimpleRateThrottle`` keeps every request's time in a list that it reads, edits and
    writes back on each request: at partner polling rates that is thousands of floats pickled
    to and from Redis per request. Here each window (the rate's period, aligned to the clock) has
    one counter, incremented atomically; the price is that a caller may spend one window's
    allowance at its end and the next one's at its start.
    """

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        own = self.keys_read_with_counter(request)
        if self.rate is None or (key := self.get_cache_key(request, view)) is None:
            if own:
                self.read_with_counter(request, view, self.cache.get_many(own))
            return True
        self.key = key
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        keys = tuple(getattr(view, "cache_keys_with_throttle", ()))
        count, read = incr_window_and_get(
            self.cache, f"{self.key}:{window}", self.duration + 1, (*keys, *own)
        )
        if keys:
            view.cache_read_with_throttle = read
        if own:
            self.read_with_counter(request, view, read)
        return count <= self.num_requests

    def keys_read_with_counter(self, request) -> tuple[str, ...]:
        """Keys this throttle itself reads in the counter's round trip (``read_with_counter``)."""
        return ()

    def read_with_counter(self, request, view, read: dict) -> None:
        """What to do with the values of ``keys_read_with_counter``."""

    def wait(self):
        return max(1, math.ceil(self.window_end - self.now))


class PartnerTokenThrottle(SettingsRateThrottle):
    """Per partner token (``partner`` rate), whoever sends it from wherever.

    It also finishes authenticating a token that was answered from the process's own copy
    (``request.partner_token_check``, set by the token authentication): the tokens' revision is
    read in the counter's round trip, and if it moved since the copy was kept the request is
    authenticated again and the view's permissions checked again, before the view runs. Every
    API view has this throttle (a test walks them all), whatever the partner rate.
    """

    scope = "partner"

    def keys_read_with_counter(self, request) -> tuple[str, ...]:
        check = getattr(request, "partner_token_check", None)
        return (check[0],) if check else ()

    def read_with_counter(self, request, view, read: dict) -> None:
        key, seen = request.partner_token_check
        if read.get(key) != seen:
            token_recheck(request)
            view.check_permissions(request)

    def get_cache_key(self, request, view):
        token = request_token(request)
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class SignedInUserThrottle(SettingsRateThrottle):
    """Per signed-in person (``user`` rate)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if request_token(request) is not None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
