"""The overlap job: who should partner with whom (DESIGN.md, "The overlap job").

Pure computation, no Django (arrays in, pairs out; the formulas are in :mod:`.compute`):

* :mod:`.parameters` — what a run computes, and the audience flags of a pair;
* :mod:`.registry` — the registry as arrays, assembled from flat columns;
* :mod:`.selection` — scored pairs held column-wise;
* :mod:`.compute` — shortlists, scores, each stakeholder's choice, merging.

The Django side (services called by :mod:`partnerships.tasks`, views and signals):

* :mod:`.runs` — starting and watching runs, their parameters, leases and failures;
* :mod:`.loading` — reading the registry from the database into arrays;
* :mod:`.steps` — a run's steps: execute, compute a chunk, finalise (the atomic swap), tidy;
* :mod:`.writing` — writing candidates in bulk (binary COPY on PostgreSQL);
* :mod:`.refresh` — one stakeholder's refresh, and queueing refreshes when stakes change.

This module imports nothing, so that the pure modules load without Django.
"""
