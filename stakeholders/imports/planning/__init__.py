"""From rows of text to a plan: which rows create, update or leave a registry record as it is, and
every error with its row, column and reason.

A planner runs as the uploading user: it sees stakeholders only through ``stakeholder_visible_to``,
so a hidden stakeholder is reported exactly like one that does not exist. It loads what a batch
of rows refers to in a handful of queries (never one per row) and validates each row with the
model's own ``full_clean``. Planning writes nothing; ``services`` writes a plan that has no error.

``base`` holds the planners' shared shape; one module per kind of file (``stakeholders``,
``outcomes``, ``stakes``, ``ties``, with ``references`` for the columns that name a stakeholder or
an outcome); ``files`` runs a planner over a whole file.
"""
