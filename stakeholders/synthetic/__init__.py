"""A large synthetic registry for benchmarks: ``synthetic_registry_create(...)``.

Synthetic rows are generated with NumPy and written in bulk (COPY on PostgreSQL, ``executemany``
elsewhere) without model validation or change history: they exist to measure the overlap job, the
graph and the pages at scale, not to be edited. Every synthetic row is recognisable by its name
("Synthetic actor 000123", "Synthetic outcome 0042") *and* its description (SYNTHETIC_MARKER); a
new synthetic set replaces the previous one and never touches any other row.

What the generator imitates from real registries:
- outcome popularity is skewed (Zipf): a few hub outcomes that up to about half of all actors
  hold a stake in, and a long tail of outcomes with a handful of stakes;
- actors' activity is skewed too (log-normal weights): some hold many stakes and ties;
- kinds come in realistic proportions (NGOs and firms common, IGOs rare), every kind present;
- about 5 % of actors are restricted or confidential, mostly local women's groups, diaspora and
  grassroots actors.

``generation`` makes the rows with NumPy, without the database (sizes, popularity, pairs);
``storage`` writes, finds and deletes them.
"""
