from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo scenario and ``manage.py seed_demo``: on top of every app it fills."""

    name = "demo"
    verbose_name = "Demo scenario"
