from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The project's user from day one, so that profile fields never need a painful migration."""

    organisation = models.CharField(max_length=200, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
