"""The map's whole-registry answer, kept gzipped per audience until the registry changes.

The map opens on ``/api/v1/graph/?shape=columns`` without filters: at 20,000 actors / 100,000
ties building it costs the server about a second of CPU (seconds on a loaded machine), and the
answer is the same for everyone of one audience until a stakeholder, a tie or a snapshot changes.
So it is kept, rendered and gzipped, under a key naming

- the **audience** (cleared or public, ``audience_of``): a cleared reader's answer, which holds
  hidden actors, is never under a key a public reader asks for;
- the **registry's fingerprint** for that audience (``registry_fingerprint``), read before the
  answer is built: any change to the rows the audience's map is built from (a sensitivity raised,
  a tie added, a snapshot recomputed) changes the key, so nothing kept is ever served stale,
  whatever process wrote it — and a change to hidden rows leaves the public key as it was;
- the caps asked for (``max_nodes``, ``max_edges``).

A cleared reader's read of restricted actors is recorded on every answer, kept or built.
"""

import gzip
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from smartdiplomacy.api.renderers import FastJSONRenderer
from stakeholders.selectors import audience_of

from ..selectors import GraphOptions, graph_view, registry_fingerprint

# The only query parameters of a whole-map answer; any filter or option is built afresh.
WHOLE_MAP_PARAMETERS = frozenset({"shape", "max_nodes", "max_edges"})
KEY_VERSION = 1


@dataclass(frozen=True)
class MapAnswer:
    body: bytes | None  # the JSON as FastJSONRenderer renders it (None: only gzipped at hand)
    gzipped: bytes | None  # the same, gzipped (None when not kept)
    restricted_ids: list[int]
    cached: bool  # served from the cache

    def plain(self) -> bytes:
        if self.body is not None:
            return self.body
        assert self.gzipped is not None
        return gzip.decompress(self.gzipped)


def is_whole_map(query_params) -> bool:
    return query_params.get("shape") == "columns" and set(query_params) <= WHOLE_MAP_PARAMETERS


def map_answer_key(*, audience: str, fingerprint: str, options: GraphOptions) -> str:
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:40]
    return f"graph:map:v{KEY_VERSION}:{audience}:{options.max_nodes}:{options.max_edges}:{digest}"


def whole_map_answer(*, user, options: GraphOptions, build) -> MapAnswer:
    """The whole map for ``user``'s audience: kept, or built by ``build(view)`` (the view's
    columns) and kept. ``options`` carry only the caps (``is_whole_map``)."""
    seconds = settings.GRAPH_MAP_CACHE_SECONDS
    audience = audience_of(user)
    fingerprint = registry_fingerprint(audience) if seconds > 0 else None
    key = None
    if fingerprint is not None:
        key = map_answer_key(audience=audience, fingerprint=fingerprint, options=options)
        kept = cache.get(key)
        if kept is not None:
            gzipped, restricted_ids = kept
            return MapAnswer(None, gzipped, restricted_ids, True)
    view = graph_view(user=user, filters={}, options=options)
    body = FastJSONRenderer().render(build(view))
    gzipped = None
    if key is not None:
        # Level 1: 5.2 MB to 1.2 MB in ~0.15 s (level 6: 1.0 MB in ~0.6 s).
        gzipped = gzip.compress(body, compresslevel=1, mtime=0)
        cache.set(key, (gzipped, view.restricted_ids), seconds)
    return MapAnswer(body, gzipped, view.restricted_ids, False)
