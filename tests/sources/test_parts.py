"""Files read on their own: jobs cut into batches for the task runner, and results that
cross a process boundary intact."""

from __future__ import annotations

import pickle
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from liushou.sources.load import batches
from liushou.sources.parts import PartJob, read_part


def _job(path: Path, target: Path) -> PartJob:
    return PartJob(
        system="work",
        path=str(path),
        folder=str(path.parent),
        quarter="2026Q3",
        reference_date=date(2026, 9, 30),
        encodings=("utf-8",),
        max_ragged_share=0.01,
        target=str(target),
    )


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 5000), min_size=1, max_size=12), slots=st.integers(1, 4))
def test_every_file_lands_in_exactly_one_batch(tmp_path_factory, sizes, slots) -> None:
    folder = tmp_path_factory.mktemp("files")
    jobs = []
    for n, size in enumerate(sizes):
        path = folder / f"work_{n}.csv"
        path.write_bytes(b"x" * size)
        jobs.append(_job(path, folder / "parts" / str(n)))
    cut = batches(jobs, slots)
    assert sorted(j.path for b in cut for j in b) == sorted(j.path for j in jobs)
    assert all(cut)
    assert len(cut) == min(len(jobs), 1 if slots == 1 else 2 * slots)
    if slots > 1 and len(jobs) >= len(cut):
        loads = [sum(Path(j.path).stat().st_size for j in b) for b in cut]
        assert max(loads) - min(loads) <= max(sizes)  # greedy, largest first
    assert [[j] for j in jobs] == batches(jobs, None)


def test_a_read_file_crosses_a_process_boundary_as_paths_and_counts(tmp_path: Path) -> None:
    """What a Dask worker sends back: the file's accounting and where its parts are, not
    its rows. Planted: one row with no ID number at all (quarantined)."""
    landing = tmp_path / "2026Q3"
    landing.mkdir()
    path = landing / "work_1.csv"
    path.write_text(
        "公民身份号码,姓名,务工地区划代码,外出日期\n"
        "330302199001011234,张三,440300,2025-01-01\n"
        ",李四,440300,2025-01-01\n",
        encoding="utf-8",
    )
    result = read_part(_job(path, tmp_path / "parts"))
    again = pickle.loads(pickle.dumps(result))
    assert again == result
    assert len(pickle.dumps(result)) < 4000
    (report,) = result.files
    assert (report.rows_read, report.rows_used, report.rows_quarantined) == (2, 1, 1)
    assert result.file == "work_1.csv" and not result.empty
    assert all(Path(p).is_file() for p in (*result.raw, *result.canon, *result.quarantine))
    assert len(result.quarantine) == 1
