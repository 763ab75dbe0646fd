"""The candidates' table partitioned by run (migration 0012, issue 22): a run's rows live in a
partition of their own, written bare and attached with the run; superseded partitions are
dropped; the pairs are exactly those of the computation without partitions or chunks."""

import numpy as np
import pytest
from django.db import connection, transaction

from partnerships.models import Candidate, OverlapChunk, OverlapRun
from partnerships.overlap import partitions
from partnerships.overlap.compute import candidates_for_rows, compute_all, merge_pairs
from partnerships.overlap.loading import registry_load
from partnerships.overlap.parameters import Parameters
from partnerships.overlap.registry import chunk_bounds
from partnerships.overlap.selection import Selection
from partnerships.overlap.writing import chunk_result_read, chunk_result_store
from stakeholders.synthetic.storage import synthetic_registry_create

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's (SQLite: plain table)"
)

COLUMNS = ("src", "dst", "overlap", "complementarity", "inclusion", "score", "likelihood",
           "power_interest", "kind_affinity", "shared_partners", "needed", "brings_src",
           "brings_dst", "shared_count", "shared", "audiences")  # fmt: skip


@pytest.fixture
def synthetic_registry(db):
    synthetic_registry_create(stakeholders=400, stakes=4000, ties=300, seed=3)


def _rows(run) -> list[tuple]:
    return sorted(
        Candidate.objects.filter(run=run).values_list(
            "stakeholder_a_id", "stakeholder_b_id", "overlap", "score", "likelihood",
            "brings_a", "brings_b", "shared_count", "shared_outcome_ids", "audiences",
        )
    )  # fmt: skip


def _expected(selection: Selection) -> list[tuple]:
    return sorted(
        zip(
            selection.src.tolist(), selection.dst.tolist(), selection.overlap.tolist(),
            selection.score.tolist(), selection.likelihood.tolist(),
            selection.brings_src.tolist(), selection.brings_dst.tolist(),
            selection.shared_count.tolist(),
            [[v for v in row if v >= 0] for row in selection.shared.tolist()],
            selection.audiences.tolist(), strict=True,
        )
    )  # fmt: skip


def test_a_chunked_run_writes_exactly_the_pairs_of_the_whole_computation(
    synthetic_registry, run_overlap
):
    run = run_overlap(chunks=3)
    assert run.chunks_total == 3 and run.status == run.Status.SUCCEEDED
    registry, _ = registry_load()
    whole = compute_all(registry, Parameters.from_dict(run.parameters), chunks=1)
    assert len(whole) > 1000
    assert run.candidate_count == len(whole)
    assert _rows(run) == _expected(whole)


def test_merging_chunk_by_chunk_equals_merging_everything_at_once(synthetic_registry):
    registry, _ = registry_load()
    params = Parameters()
    order = registry.row_order()
    directed = [
        candidates_for_rows(registry, order[start:end], params, threads=1)
        for start, end in chunk_bounds(len(order), 4)
    ]
    at_once = merge_pairs(Selection.concatenate(directed, params.shared_outcomes_kept))
    # Some pairs were chosen from both sides, in different chunks: the merge has work to do.
    assert len(at_once) < sum(len(part) for part in directed)
    by_chunk = [merge_pairs(part.take(slice(None)), consume=True) for part in directed]
    merged = merge_pairs(
        Selection.concatenate(by_chunk, params.shared_outcomes_kept, consume=True), consume=True
    )
    for name in COLUMNS:
        np.testing.assert_array_equal(getattr(merged, name), getattr(at_once, name), err_msg=name)
        assert getattr(merged, name).dtype == getattr(at_once, name).dtype


def test_a_chunk_result_reads_back_byte_for_byte(small_registry, run_overlap):
    run = run_overlap()
    chunk = OverlapChunk.objects.create(run=run, index=9, row_start=0, row_end=1)
    assert chunk_result_read(chunk.pk) is None
    payload = bytes(range(256)) * 5000 + b"\x00end"
    chunk_result_store(chunk.pk, payload)
    assert chunk_result_read(chunk.pk) == payload
    assert chunk_result_read(chunk.pk + 1000) is None  # no such chunk


@on_postgresql
def test_each_run_has_its_partition_and_a_new_run_drops_the_last_ones(small_registry, run_overlap):
    first = run_overlap()
    assert partitions.candidates_partitioned()
    assert set(partitions.run_partitions()) == {first.pk}
    first_pairs = _rows(first)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{partitions.partition_name(first.pk)}"')
        assert cursor.fetchone()[0] == len(first_pairs) == 3
    # A row written outside the job for a run without a partition goes to the default one.
    stray = Candidate.objects.filter(run=first).first()
    second = run_overlap(top_k=1, top_k_growth=0)
    Candidate.objects.create(
        run_id=second.pk + 1000, stakeholder_a_id=stray.stakeholder_a_id,
        stakeholder_b_id=stray.stakeholder_b_id, overlap=0.5, complementarity=0, inclusion=0,
        score=0.5, needed_capabilities=0, brings_a=0, brings_b=0,
    )  # fmt: skip
    assert set(partitions.run_partitions()) == {second.pk}
    third = run_overlap()
    assert set(partitions.run_partitions()) == {third.pk}
    assert _rows(third) == first_pairs  # same registry, same parameters, same pairs
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{partitions.default_partition()}"')
        assert cursor.fetchone()[0] == 0
    # Django still finds a row by its id alone.
    candidate = Candidate.objects.filter(run=third).first()
    assert Candidate.objects.get(pk=candidate.pk).run_id == third.pk


@on_postgresql
def test_the_table_is_partitioned_by_run_with_a_two_column_key():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_partkeydef(to_regclass('partnerships_candidate')), "
            "pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.conrelid = to_regclass('partnerships_candidate') AND c.contype = 'p'"
        )
        partition_key, primary_key = cursor.fetchone()
    assert partition_key == "LIST (run_id)"
    assert primary_key == "PRIMARY KEY (id, run_id)"


@on_postgresql
def test_the_harm_harness_gives_the_partitioned_table_one_id_range(small_registry, run_overlap):
    from tests.harm import doors

    run_overlap()
    tables = [table for table, _column, _sequence in doors._sequenced_tables()]
    assert "partnerships_candidate" in tables
    assert not [
        t
        for t in tables
        if t.startswith(("partnerships_candidate_run_", "partnerships_candidate_default"))
    ]
    starts = doors.id_ranges_assign()
    run = run_overlap()
    ids = list(Candidate.objects.filter(run=run).values_list("pk", flat=True))
    start = starts["partnerships_candidate"]
    assert ids and all(start <= pk < start + doors.RANGE for pk in ids)


def _in_id_order(run) -> list[tuple]:
    return list(
        Candidate.objects.filter(run=run)
        .order_by("pk")
        .values_list("stakeholder_a_id", "stakeholder_b_id", "score", "audiences")
    )


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_run_on_a_worker_copies_in_streams_the_rows_and_ids_one_transaction_gives(
    synthetic_registry, run_overlap, monkeypatch
):
    from partnerships.overlap import writing

    streamed = []
    copy_streams = writing._copy_streams
    monkeypatch.setattr(
        writing, "_copy_streams", lambda *a, **k: streamed.append(k) or copy_streams(*a, **k)
    )
    # Outside any transaction, as a worker runs it: the table built first, in two streams.
    on_worker = run_overlap(chunks=2)
    assert streamed and streamed[0]["streams"] == writing.COPY_STREAMS
    rows = _in_id_order(on_worker)
    ids = list(Candidate.objects.filter(run=on_worker).values_list("pk", flat=True))
    assert max(ids) - min(ids) + 1 == len(ids)  # one range reserved, no gap between streams
    # Inside a transaction (a run executed in process by a caller holding one): one COPY.
    streamed.clear()
    with transaction.atomic():
        in_one = run_overlap(chunks=2)
    assert not streamed
    assert len(rows) > 1000  # both streams had rows
    assert rows == _in_id_order(in_one)  # same rows, ids in the same order
    assert set(partitions.run_partitions()) == {in_one.pk}


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_table_built_for_a_run_that_never_committed_is_dropped_by_the_next_run(
    small_registry, run_overlap
):
    left = partitions.partition_name(987654)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{left}" (LIKE partnerships_candidate)')
    run = run_overlap()
    assert set(partitions.run_partitions()) == {run.pk}
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [left])
        assert cursor.fetchone()[0] is None
        cursor.execute("SELECT to_regclass(%s)", [partitions.partition_name(run.pk)])
        assert cursor.fetchone()[0] is not None  # the current run's, attached, stays


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_run_failing_after_its_table_was_built_drops_the_table_itself(
    small_registry, run_overlap, monkeypatch
):
    def broken(run_id):
        raise RuntimeError("attach failed")

    monkeypatch.setattr(partitions, "run_partition_attach", broken)
    run = run_overlap()  # the task records the failure on the run
    assert run.status == OverlapRun.Status.FAILED
    assert "attach failed" in run.error
    with connection.cursor() as cursor:  # built, filled, never attached: gone with the failure
        cursor.execute("SELECT to_regclass(%s)", [partitions.partition_name(run.pk)])
        assert cursor.fetchone()[0] is None
