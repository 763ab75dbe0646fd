"""Restricted reads by cleared people, recorded per API response."""

from collections.abc import Iterable

from rest_framework import permissions, status

from .hooks import request_token, restricted_read_record

# --- Audit of restricted reads ----------------------------------------------------------------


class RestrictedReadAuditMixin:
    """Record each API response in which a cleared person reads restricted stakeholders.

    A viewset says which stakeholders its objects show through ``restricted_stakeholder_ids``
    (using only what its queryset already loaded, so no query is added per row). Partner tokens
    never see restricted data, so there is nothing to record for them.
    """

    def restricted_stakeholder_ids(self, objects) -> Iterable[int]:
        raise NotImplementedError

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.read_objects = page
        return page

    def get_object(self):
        obj = super().get_object()
        self.read_objects = [obj]
        return obj

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        objects = getattr(self, "read_objects", None)
        if (
            objects
            and request.method in permissions.SAFE_METHODS
            and status.is_success(response.status_code)
            and request_token(request) is None
            and request.user.is_authenticated
        ):
            ids = list(self.restricted_stakeholder_ids(objects))
            if ids:
                restricted_read_record(
                    user=request.user,
                    method=request.method,
                    path=request.get_full_path(),
                    stakeholder_ids=ids,
                )
        return response
