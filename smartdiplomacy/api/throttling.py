"""Fixed-window rate limits per partner token and per signed-in person."""

import math

from rest_framework import throttling
from rest_framework.settings import api_settings

from smartdiplomacy.cache import incr_window_and_get

from .hooks import request_token

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
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        keys = tuple(getattr(view, "cache_keys_with_throttle", ()))
        count, read = incr_window_and_get(self.cache, key, self.duration + 1, keys)
        if keys:
            view.cache_read_with_throttle = read
        return count <= self.num_requests

    def wait(self):
        return max(1, math.ceil(self.window_end - self.now))


class PartnerTokenThrottle(SettingsRateThrottle):
    """Per partner token (``partner`` rate), whoever sends it from wherever."""

    scope = "partner"

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
