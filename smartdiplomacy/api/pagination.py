"""Numbered pages for small collections, keyset cursors for large ones."""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from rest_framework import exceptions
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

# --- Pagination -------------------------------------------------------------------------------


class ApiPageNumberPagination(PageNumberPagination):
    """Numbered pages with a count, for small collections (outcomes)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool
    nullable: bool

    @property
    def term(self) -> str:
        return f"-{self.field}" if self.descending else self.field

    def reversed(self) -> "SortKey":
        return SortKey(self.field, not self.descending, self.nullable)

    def order_by(self):
        # A column that cannot be NULL sorts plainly, so that a B-tree index serves the page
        # (PostgreSQL cannot read ``ASC NULLS FIRST`` from a default index and would sort every
        # row for every page). A nullable one puts NULL as the smallest value in both directions
        # and on every database, so that the keyset conditions below can say where NULLs are.
        if not self.nullable:
            return F(self.field).desc() if self.descending else F(self.field).asc()
        if self.descending:
            return F(self.field).desc(nulls_last=True)
        return F(self.field).asc(nulls_first=True)

    def beyond(self, value) -> Q:
        """Rows strictly after ``value`` on this key alone."""
        never = Q(pk__in=[])
        if self.descending:
            if value is None:
                return never
            condition = Q(**{f"{self.field}__lt": value})
            return condition | Q(**{f"{self.field}__isnull": True}) if self.nullable else condition
        if value is None:
            return Q(**{f"{self.field}__isnull": False})
        return Q(**{f"{self.field}__gt": value})

    def equals(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.field}__isnull": True})
        return Q(**{self.field: value})


def keyset_after(keys: list[SortKey], values: list) -> Q:
    """Rows that come strictly after the row whose sort values are ``values``, in ``keys`` order.

    The last key must be unique (the primary key), which makes the order total: no row is seen
    twice and none is skipped while paging, even among equal names or amid inserts and deletes.
    """
    condition = Q(pk__in=[])
    same_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= same_so_far & key.beyond(value)
        same_so_far &= key.equals(value)
    return condition


class KeysetCursorPagination(BasePagination):
    """Cursor pagination for the large collections, in any order the FilterSet allows.

    The order comes from the queryset: the FilterSet's ``ordering`` filter has already applied it
    (``?ordering=-name``), and the primary key is appended as the tie-breaker (the default order is
    the primary key alone, which is stable). The cursor is an opaque token holding the position
    of the last (or first) row of a page; the next page is the rows strictly after it, so a
    partner can walk the whole collection page by page with no gaps and no duplicates.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 50
    max_page_size = 200
    invalid_cursor_message = "This cursor is not valid here; start again from the first page."

    def window(self, queryset, request):
        """The page's rows plus one (which decides ``next``), as a queryset not yet run: views
        may ask the database about exactly these rows (e.g. conditional requests) first."""
        self.model = queryset.model
        self.limit = self.get_page_size(request)
        self.keys = self.sort_keys(queryset)
        values, backwards = self.decode_cursor(request)
        self.cursor_values, self.backwards = values, backwards
        keys = [key.reversed() for key in self.keys] if backwards else self.keys
        rows = queryset.order_by(*(key.order_by() for key in keys))
        if values is not None:
            rows = rows.filter(keyset_after(keys, values))
        return rows[: self.limit + 1]

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        rows = list(self.window(queryset, request))
        values, backwards = self.cursor_values, self.backwards
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        if backwards:
            rows.reverse()
            has_previous, has_next = more, True
        else:
            has_previous, has_next = values is not None, more
        self.next_link = self.link(rows[-1], backwards=False) if has_next and rows else None
        self.previous_link = self.link(rows[0], backwards=True) if has_previous and rows else None
        if backwards and not rows:
            self.next_link = remove_query_param(request.build_absolute_uri(), "cursor")
        return rows

    def get_page_size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except (TypeError, ValueError):
            return self.page_size
        return min(max(size, 1), self.max_page_size)

    def sort_keys(self, queryset) -> list[SortKey]:
        meta = queryset.model._meta
        keys: list[SortKey] = []
        for term in queryset.query.order_by:
            if not isinstance(term, str) or "__" in term:
                continue
            name = term.lstrip("-")
            try:
                field = meta.pk if name == "pk" else meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.concrete or field.is_relation:
                continue
            keys.append(SortKey(field.name, term.startswith("-"), field.null))
            if field.primary_key:
                return keys
        return [*keys, SortKey(meta.pk.name, False, False)]

    def key_values(self, row) -> list:
        meta = self.model._meta
        values = []
        for key in self.keys:
            field = meta.get_field(key.field)
            value = field.value_from_object(row)
            values.append(None if value is None else field.value_to_string(row))
        return values

    def link(self, row, *, backwards: bool) -> str:
        payload: dict[str, Any] = {"o": [key.term for key in self.keys], "v": self.key_values(row)}
        if backwards:
            payload["b"] = 1
        token = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, token.decode().rstrip("=")
        )

    def decode_cursor(self, request) -> tuple[list | None, bool]:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None, False
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            payload = json.loads(raw)
            if payload["o"] != [key.term for key in self.keys]:
                raise ValueError("another ordering")
            if not isinstance(payload["v"], list) or len(payload["v"]) != len(self.keys):
                raise ValueError("wrong length")
            meta = self.model._meta
            values = [
                None if value is None else meta.get_field(key.field).to_python(str(value))
                for key, value in zip(self.keys, payload["v"], strict=True)
            ]
            pairs = zip(self.keys, values, strict=True)
            if any(value is None and not key.nullable for key, value in pairs):
                raise ValueError("null position")
        except (
            ValueError,
            TypeError,
            KeyError,
            binascii.Error,
            UnicodeDecodeError,
            DjangoValidationError,
            OverflowError,
        ):
            raise exceptions.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from None
        return values, bool(payload.get("b"))

    def get_paginated_response(self, data):
        return Response({"next": self.next_link, "previous": self.previous_link, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last page.",
                    "example": "https://example.org/api/v1/stakeholders/?cursor=eyJvIjpbImlkIl0",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The previous page, or null on the first page.",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The page to fetch: copy it from `next` or `previous` of a "
                "response with the same filters and ordering. Omit it for the first page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, "
                f"at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
