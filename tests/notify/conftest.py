"""The notification tests use the shared `smtp_server` fixture (tests/conftest.py)."""
