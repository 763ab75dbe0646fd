"""Coalitions of three to five actors for one outcome: the pure core (NumPy, no Django).

An outcome's *pool* arrives as a :class:`Pool` — the actors holding a real stake in it (interest
above 0, not opposing it) with their kind, toolbox, inclusiveness, interest and influence, the
trust ties between them and the "opposes" ties that rule pairs out — and leaves as a list of
:class:`Coalition`, best first. The methodology page (``/candidates/methodology/#coalitions``)
says the same in words.

**Constraints.** A set ``S`` of actors of the pool is a *coalition* when

* ``3 ≤ |S| ≤ 5``;
* no two members are of the same kind, so a coalition of ``|S|`` members spans ``|S| ≥ 3``
  kinds: two actors of one kind would be the traditional partnership the product looks past;
* at least one member is *inclusive*: a women's group, a grassroots movement or an actor working
  at local scope;
* no two members are on record as opposing each other.

**Objective** (weights ``w`` default to 0.5, 0.3, 0.2 and add up to 1, so ``value`` runs 0–1)::

    value(S)    = w_cov · coverage(S) + w_stake · stake(S) + w_trust · trust(S)
    coverage(S) = |N ∩ (C_1 ∪ … ∪ C_|S|)| / |N|     (0 when the outcome needs nothing on record)
    stake(S)    = Σ_{i∈S} √(interest_i · influence_i) / 5
    trust(S)    = max_{b∈S} Σ_{j∈S, j≠b} t_bj / 4    (the broker b is the member reaching the max)

``N`` is the outcome's needed capabilities and ``C_i`` member ``i``'s toolbox (bit sets);
``√(interest · influence)`` is the member's place on the power–interest grid (1 for a decisive
actor for whom the outcome is vital); ``t_bj`` is the strength (0–1) of the strongest current tie
between ``b`` and ``j`` in either direction (any kind but "opposes"; 0 when there is none). The
broker is the member who can introduce most of the others, weighted by how strong those ties
are; a coalition without ties has trust 0 and no broker.

Stake and trust are divided by the *largest* coalition (5 members, 4 introductions), not by
``|S|``, so that every term only grows when a member joins: the objective is **monotone**, and
for a fixed broker it is a coverage function plus a sum over members, hence **submodular** in
the other members. Ties *between* non-brokers do not score: each would add a term that grows
faster when both ends join (supermodular), and no greedy bound survives that. The explanation
still lists them.

**Exact solver** (:func:`solve_exact`): depth-first branch and bound over the pool, actors in
order of what each could add alone, pruned by an optimistic bound from suffix tables (coverage of
everything left, the best stakes left, the best broker star an actor left could still reach given
its ties to the members chosen), and started from the greedy's answer as the value to beat.
Exact; its time grows quickly with the pool, so :func:`solve` uses it up to
``Parameters.exact_limit`` actors (measured: see ``benchmarks/coalitions.py`` and the README).

**Greedy solver** (:func:`solve_greedy`): from every *seed* — every actor tied to another in the
pool (a possible broker), every inclusive actor, and once from nothing — add, one at a time, the
actor with the largest gain in value (trust counted around the seed) among those that keep the
set *independent*: one member per kind, at most 5 members of whom at most 4 not inclusive (two
matroids: a partition matroid and a laminar one), and no opposing pair; keep the best set found.
With the seed fixed the objective is monotone submodular, so the greedy algorithm is within a
constant factor of the best set containing the seed (Fisher, Nemhauser & Wolsey 1978): **at least
1/2** when the inclusion rule never changed a choice (greedy over one matroid), **at least 1/3**
otherwise (two matroids). The optimum is reached from one seed: its broker, or — when its members
have no tie — its inclusive member, whose start never meets the inclusion rule. The bound needs
that start's set to be a coalition and no "opposes" tie to have stopped a pick; the optimum being
unknown, the solver states the bound (``Solution.guarantee``: 1/2, 1/3 or 0) only when this holds
for every inclusive seed and every seed that could be the optimum's broker (whose own upper bound
reaches the best value found). Actors dominated by another of their kind (see :func:`dominated`)
are left out of every pick they cannot win, which changes no pick's value.

**Certificate.** Every greedy answer also carries an upper bound ``U ≥ optimum``
(:func:`upper_bound`): the exact best ``w_cov · coverage + w_stake · stake`` over sets with one
member per kind, 3–5 members and an inclusive one (a dynamic programme over the 2^|N| subsets
of needed capabilities, one kind at a time), plus ``w_trust`` times the best broker star any
actor could reach. ``Coalition.bound = value / U`` is then a proven share of the optimum,
usually far better than the a priori 1/3.

Several coalitions per outcome: the ``k``-th is the best coalition sharing at most
``max_shared`` members with each of the first ``k − 1`` (solved again, exactly or greedily, with
that rule added), so that the list offers real alternatives rather than one coalition with one
member swapped.

Both solvers are deterministic: the pool is ordered by stakeholder id, and among sets of equal
value the one with the smallest sorted ids wins.

**Modules.** :mod:`.pool` (parameters, constants, building a pool), :mod:`.objective` (the value
of a set, the rules, results), :mod:`.dominance`, :mod:`.bounds` (the certificate),
:mod:`.greedy`, :mod:`.exact` and :mod:`.solver` (:func:`solve`). The package re-exports
nothing: importers name the module that defines what they use.
"""
