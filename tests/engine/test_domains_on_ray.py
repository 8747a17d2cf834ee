"""Other domains' batch work through map_parallel on Ray: the same results as on the local pool
(the engine chooses where their functions run, never what they compute)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from yizhi.config import reset_settings_cache

pytestmark = [pytest.mark.slow, pytest.mark.db_independent]
COHORT = Path(__file__).resolve().parents[1] / "ingest" / "ingest_cohort.py"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _cohort():
    if not COHORT.exists():
        pytest.skip("tests/ingest/ingest_cohort.py (the ingest tests' multi-format cohort) is not in this tree")
    spec = importlib.util.spec_from_file_location("engine_ingest_cohort", COHORT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ingest_builds_the_same_version_on_ray(ray_instance, monkeypatch, tmp_path):
    from yizhi.ingest import Source, build_version, load_profile

    cohort = _cohort()
    sources = [Source(name, path) for name, path in cohort.write_all(tmp_path / "sources")]
    built = {}
    for engine in ("local", "ray"):
        monkeypatch.setenv("YIZHI_ENGINE", engine)
        monkeypatch.setenv("YIZHI_WORKERS", "2")
        reset_settings_cache()
        out = tmp_path / engine
        out.mkdir()
        built[engine] = (build_version(sources, out, profile=load_profile(cohort.LABS_PROFILE), key=cohort.KEY), out)
    reset_settings_cache()
    (local, local_dir), (on_ray, ray_dir) = built["local"], built["ray"]
    assert on_ray.root_hash == local.root_hash
    assert _files(ray_dir) == _files(local_dir)


def test_evaluation_bootstrap_replicates_are_the_same_on_ray(ray_instance, monkeypatch):
    from yizhi.evaluation.fast_auroc import parallel_auroc_replicates, sort_cases

    generator = np.random.default_rng(7)
    y = generator.integers(0, 2, 20_000)
    scores = y * 0.3 + generator.random(20_000)
    cases = sort_cases(y, scores)
    results = {}
    for engine in ("local", "ray"):
        monkeypatch.setenv("YIZHI_ENGINE", engine)
        reset_settings_cache()
        results[engine] = parallel_auroc_replicates(cases, seed=11, n_boot=1_200, workers=2)
    reset_settings_cache()
    assert results["ray"].shape == (1_200,)
    assert np.array_equal(results["ray"], results["local"])
