"""Score webhooks: partner systems receive signed posts when scores change.

``protocol`` is the wire format without Django (signature, body, the post, what its answer means,
retries); ``services`` writes (endpoints, deliveries, one attempt); ``selectors`` reads; ``views``
are the administrators' pages. The API lives in ``index.api.webhooks``.
"""
