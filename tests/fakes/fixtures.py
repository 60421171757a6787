"""pytest fixtures that start the fakes; import them into a test module to use them."""
import pytest

from fakes.kubeflow import FakeKubeflow
from fakes.registry import FakeRegistry
from fakes.vertex import FakeVertex


@pytest.fixture
def fake_vertex(monkeypatch):
    """Vertex AI on loopback; Cloud Storage calls of the SDK go to it too. No credentials anywhere."""
    with FakeVertex() as fake:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake.url)
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        yield fake


@pytest.fixture
def fake_kubeflow():
    with FakeKubeflow() as fake:
        yield fake


@pytest.fixture
def fake_registry():
    with FakeRegistry() as fake:
        yield fake
