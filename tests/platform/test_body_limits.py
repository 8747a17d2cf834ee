"""Request bodies: authentication before the body is read, a global limit counted while the body
streams, and per-route limits for uploads (issue 17, item 4: an anonymous chunked 300 MB POST cost
790 MB of memory before the 401)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from yizhi.config import get_settings

CHUNK = b"x" * 65536


def _post_chunked(base_url: str, path: str, total_bytes: int, headers: dict[str, str]) -> tuple[int, int]:
    """Stream a chunked body until the server answers; returns (status, bytes sent by then)."""
    url = urlsplit(base_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=30)
    head = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", "Transfer-Encoding: chunked",
            "Content-Type: application/json", *[f"{k}: {v}" for k, v in headers.items()]]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sent = 0
    sock.setblocking(False)
    answer = b""
    deadline = time.monotonic() + 60
    try:
        while sent < total_bytes and time.monotonic() < deadline:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            if b"\r\n" in answer:
                break
            try:
                sock.send(b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n")
                sent += len(CHUNK)
            except BlockingIOError:
                time.sleep(0.001)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        while b"\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sock.close()
    return int(answer.split(b" ", 2)[1]), sent


def test_anonymous_chunked_upload_is_refused_before_the_body_is_read(live_server):
    status, sent = _post_chunked(live_server, "/api/v1/needs", 300 * 1024 * 1024, {})
    assert status == 401
    assert sent < 16 * 1024 * 1024, f"the client could push {sent} bytes before the 401"


def test_a_wrong_token_is_refused_before_the_body_is_read(live_server):
    status, sent = _post_chunked(live_server, "/api/v1/needs", 300 * 1024 * 1024,
                                 {"Authorization": "Bearer yzt_not-a-real-token"})
    assert status == 401 and sent < 16 * 1024 * 1024


def test_a_logged_in_chunked_body_over_the_global_limit_is_cut_off(live_server, cast):
    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as s:
        token = service.create_api_token(s, service.get_person_by_email(s, cast.owner.email), "big")[1]
    status, sent = _post_chunked(live_server, "/api/v1/needs", 200 * 1024 * 1024,
                                 {"Authorization": f"Bearer {token}"})
    assert status == 413
    assert sent < get_settings().max_body_bytes + 16 * 1024 * 1024


def test_declared_oversized_body_is_answered_413_in_the_api_error_shape(api, cast):
    body = b'{"title": "' + b"x" * (get_settings().max_body_bytes + 10) + b'"}'
    response = api(cast.owner).post("/api/v1/needs", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_anonymous_page_post_with_body_goes_to_login_without_reading_it(web):
    response = web().http.post("/needs/new", data={"title": "x" * 1000})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_upload_routes_accept_more_than_the_global_limit(api, cast):
    """The DICOM upload route raises its own limit: a 3 MB non-DICOM file reaches the job queue."""
    payload = b"not a dicom file " * (3 * 1024 * 1024 // 17)
    assert len(payload) > get_settings().max_body_bytes
    response = api(cast.owner).post("/api/v1/deid/dicom", files={"file": ("study.zip", payload)},
                                    data={"org": "hospital"})
    assert response.status_code == 202, response.text


def test_public_routes_still_take_bodies_from_anonymous_visitors(web, cast):
    response = web().post_form("/login", {"email": cast.owner.email, "password": cast.owner.password})
    assert response.status_code == 303
