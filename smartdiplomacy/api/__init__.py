"""Cross-cutting glue of the REST API, one concern per module (as DRF itself is laid out).

- ``errors``: the one error shape, the exception handler, service errors on serializer fields,
  the 404 for unknown API URLs;
- ``schema``: that shape documented on every OpenAPI operation;
- ``hooks``: what the machinery asks of accounts (which sits above it), named in the settings;
- ``authentication``, ``permissions``, ``throttling``, ``renderers``, ``pagination``;
- ``audit``: restricted reads by cleared people, recorded per response.

Every API view of every app gets these through ``REST_FRAMEWORK`` in the settings, or by naming
them: an app's ``api/views.py`` only says which selector, FilterSet, serializer and services its
resources use.
"""
