"""Assertion helpers shared by the compatibility tests."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from mlflow.exceptions import MlflowException


@contextmanager
def raises_mlflow(error_code: str, http_status: int | None = None, match: str | None = None):
    """Expect an ``MlflowException`` carrying ``error_code`` (and the status)."""
    with pytest.raises(MlflowException, match=match) as excinfo:
        yield excinfo
    err = excinfo.value
    assert err.error_code == error_code, f"expected {error_code}, got {err.error_code}: {err}"
    if http_status is not None:
        assert err.get_http_status_code() == http_status, (
            f"expected HTTP {http_status}, got {err.get_http_status_code()}: {err}"
        )
