"""A server process keeps its start-up heap out of garbage collection; a test client does not.

Why: full collections under load walked ~400 k start-up objects, pausing every request of the process
(see yizhi.web.app._freeze_startup_heap). A regression here brings the p99 tail back.
"""

import gc

from fastapi.testclient import TestClient

from yizhi.web.app import create_app, create_served_app


def test_a_served_app_freezes_its_startup_heap():
    gc.unfreeze()
    try:
        with TestClient(create_served_app()) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 10_000
            # what the collector still walks is small next to what start-up made
            assert len(gc.get_objects()) < gc.get_freeze_count()
    finally:
        gc.unfreeze()


def test_a_test_client_app_does_not_freeze():
    gc.unfreeze()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
