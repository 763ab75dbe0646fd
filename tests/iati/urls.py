"""The site's URLs plus the IATI upload pages (until smartdiplomacy/urls.py includes them)."""

from django.urls import include, path

from smartdiplomacy.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *[
        pattern
        for pattern in site_urlpatterns
        if getattr(pattern, "namespace", None) != "iati_import"
    ],
    path("registry/iati/", include("iati.urls")),
]
