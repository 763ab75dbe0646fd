"""The embedded default for a developer's machine: DEBUG on, a throwaway key."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY", "django-insecure-local-development-key-not-for-production")
