"""One job model for every background run (NetBox's ``core.Job``): overlap runs, rescoring,
registry imports, IATI imports and the graph refresh are each a :class:`~.models.Job` row with one
status vocabulary, progress, timings, error and who started it.

The project core cannot know the apps above it, so each app fills :mod:`.registry` in its
``AppConfig.ready`` (the kind's label, its detail page, who may see its jobs) and calls the
services in :mod:`.services` from its own task code.
"""
