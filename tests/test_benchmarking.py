"""The figures every benchmark prints beside its own (smartdiplomacy.benchmarking)."""

import io
import json

import pytest

from smartdiplomacy import benchmarking


@pytest.mark.parametrize(
    ("small", "large", "exponent"),
    [
        ((1_000, 2.0), (2_000, 4.0), 1.0),  # twice the size, twice the time: linear
        ((1_000, 2.0), (2_000, 8.0), 2.0),  # four times the time: quadratic
        ((50_000, 10.0), (100_000, 42.87), 2.1),  # the n^2.1
        ((10, 3.0), (100, 3.0), 0.0),  # flat
    ],
)
def test_growth_exponent_is_the_k_of_time_proportional_to_size_to_the_k(small, large, exponent):
    assert benchmarking.growth_exponent(*small, *large) == pytest.approx(exponent, abs=0.01)


@pytest.mark.parametrize(
    "arguments",
    [(1_000, 2.0, 1_000, 4.0), (0, 2.0, 1_000, 4.0), (1_000, 0.0, 2_000, 4.0), (1, 1, 2, -1)],
)
def test_growth_exponent_is_none_where_it_means_nothing(arguments):
    assert benchmarking.growth_exponent(*arguments) is None


def test_ratio_rounds_and_refuses_a_missing_or_zero_reference():
    assert benchmarking.ratio(3.0, 2.0) == 1.5
    assert benchmarking.ratio(1.0, 3.0, 3) == 0.333
    assert benchmarking.ratio(1.0, 0.0) is None
    assert benchmarking.ratio(None, 2.0) is None


def test_load_recorded_writes_the_load_before_and_after_even_on_error():
    figures = {}
    with pytest.raises(RuntimeError), benchmarking.load_recorded(figures):
        assert len(figures["load_before"]) == 3
        raise RuntimeError("the benchmark failed")
    assert len(figures["load_after"]) == 3 and figures["cpus"] >= 1
    assert all(value >= 0 for value in figures["load_before"] + figures["load_after"])


def test_best_of_keeps_the_fastest_run():
    calls = []

    def work():
        calls.append(1)
        sum(range(1000 * len(calls) ** 3))  # each run slower than the last

    seconds = benchmarking.best_of(work, repeat=3)
    assert len(calls) == 3 and seconds > 0


def test_emit_prints_one_json_line():
    stream = io.StringIO()
    benchmarking.emit({"seconds": 1.5, "load_before": [1.0, 0.5, 0.2]}, stream=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["seconds"] == 1.5


@pytest.mark.django_db
def test_database_maintenance_never_runs_inside_a_transaction():
    from django.db import connection

    from index.models import Score

    done = benchmarking.database_maintained(connection, [Score._meta.db_table])
    assert done == {"autovacuum": None, "vacuumed": [], "seconds": 0.0}


@pytest.mark.django_db(transaction=True)
def test_database_maintenance_vacuums_and_says_whether_autovacuum_is_on():
    from django.db import connection

    from index.models import Score

    done = benchmarking.database_maintained(connection, [Score._meta.db_table])
    if connection.vendor != "postgresql":
        assert done["vacuumed"] == []
        return
    assert done["autovacuum"] in ("on", "off") and done["vacuumed"] == [Score._meta.db_table]


def _run_all():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "run_all.py"
    spec = importlib.util.spec_from_file_location("run_all", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_bench_table_shows_figure_reference_ratio_and_load():
    run_all = _run_all()
    result = {
        "stakeholders": 20_000,
        "stakes": 200_000,
        "seconds": {"total": 26.8, "compute": 13.2, "write": 8.7},
        "reference": {"seconds": 10.45},
        "compute_vs_reference": 1.27,
        "total_vs_reference": 2.56,
        "synthetic_stakeholders": 20_000,
        "smaller": {"stakeholders": 10_000, "synthetic_stakeholders": 10_000},
        "growth_exponent": {"total": 0.43, "compute": 0.74, "cpu_job": 0.97, "reference": 2.27},
    }
    rows = run_all._overlap(result)
    rows[0].update(benchmark="overlap", load="8.5 → 9.9", seconds="179")
    table = run_all.table(rows).splitlines()
    assert table[0].startswith("| benchmark | figure | same-run reference | ratio | load")
    assert "26.8 s end to end (20,000 / 200,000)" in table[2]
    assert "10.45 s scipy product" in table[2] and "compute ×1.27" in table[2]
    assert "8.5 → 9.9" in table[2]
    assert "growth exponent 0.43 (total)" in table[3] and "10,000 → 20,000" in table[3]


def test_make_bench_refuses_anything_but_a_postgresql_scratch_database(monkeypatch):
    run_all = _run_all()
    monkeypatch.setenv("DATABASE_URL", "sqlite:///db.sqlite3")
    monkeypatch.setattr("sys.argv", ["run_all.py"])
    with pytest.raises(SystemExit, match="scratch PostgreSQL database"):
        run_all.main()
