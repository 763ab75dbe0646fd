"""bench_overlap's worker mode: how it adds up CPU seconds (the figures the README's fourth pass
on the overlap job reads). The worker itself is exercised by running the benchmark."""

import os

from partnerships.management.commands._bench_worker import (
    CpuSampler,
    _by_phase,
    process_cpu_seconds,
)


def test_cpu_seconds_by_phase_split_at_each_phase_first_seen():
    seen = {"compute": (2.0, 1.0), "write": (50.0, 2.0)}
    by_phase = _by_phase(seen, {"job": 56.0, "database": 13.0})
    assert by_phase == {
        "load": {"job": 2.0, "database": 1.0},
        "compute": {"job": 48.0, "database": 1.0},
        "write": {"job": 6.0, "database": 11.0},
    }
    # A run that never reached the write: what came after the chunks started is theirs.
    assert _by_phase({"compute": (2.0, 1.0)}, {"job": 5.0, "database": 1.5})["compute"] == {
        "job": 3.0,
        "database": 0.5,
    }


def test_the_sampler_counts_new_processes_whole_and_old_ones_from_the_start(monkeypatch):
    readings = {1: 10.0, 2: 3.0}
    monkeypatch.setattr(
        "partnerships.management.commands._bench_worker.process_cpu_seconds", readings.get
    )
    sampler = CpuSampler()
    sampler.read([1])  # there before the run: counted from here
    readings[1] = 14.0
    sampler.read([1, 2])  # 2 started during the run: all of its seconds count
    readings.pop(2)  # 2 ended: its last reading stays
    sampler.read([1, 2])
    assert sampler.seconds() == 4.0 + 3.0


def test_a_process_cpu_seconds_are_read_from_proc():
    assert process_cpu_seconds(os.getpid()) > 0
    assert process_cpu_seconds(2**22 + 1) is None  # beyond pid_max: no such process
