"""The embedded default for a developer's machine: DEBUG on, a throwaway key."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY", "django-insecure-local-development-key-not-for-production")
# The demo logins work with the password alone; TWO_FACTOR_REQUIRED=1 asks for the second factor
# as production does.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", False)
