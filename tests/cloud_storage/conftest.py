"""A real Cloud Storage emulator for the gs:// tests: fake-gcs-server, built by
``make setup`` (``make gcs-emulator``) into the venv's bin folder.

``gcs_server`` (session) starts it on a free loopback port with an in-memory
backend; ``gcs_emulator`` points the google-cloud-storage client at it
(``STORAGE_EMULATOR_HOST``) for one test: the client Beam's GCS filesystem, and so
``components.common.storage``, use.
TensorFlow's own GCS filesystem cannot be pointed at it (README, "gs:// and the
emulator"). ``gcs_bucket`` gives each test a fresh bucket.
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

FAKE_GCS_SERVER = os.path.join(os.path.dirname(sys.executable), "fake-gcs-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log_path: str) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            with open(log_path) as log:
                pytest.fail(f"fake-gcs-server exited with {process.returncode}:\n{log.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/storage/v1/b", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"fake-gcs-server did not answer on {url} within 30 s")


def anonymous_beam_credentials():
    """Tell Beam there are no Google credentials to look for, as it concludes itself
    after ~20 s of retried look-ups on a machine without any ("Connecting
    anonymously"). Returns the previous state, for ``restore_beam_credentials``."""
    from apache_beam.internal.gcp import auth

    previous = (auth._Credentials._credentials_init, auth._Credentials._credentials)
    auth._Credentials._credentials_init, auth._Credentials._credentials = True, None
    return previous


def restore_beam_credentials(previous) -> None:
    from apache_beam.internal.gcp import auth

    auth._Credentials._credentials_init, auth._Credentials._credentials = previous


class Emulator:
    def __init__(self, url: str):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        self.url = url
        self.client = storage.Client(project="test", credentials=AnonymousCredentials())

    def upload_folder(self, local: str, uri: str) -> None:
        """Copy a local folder's files to ``gs://bucket/prefix`` with the plain client."""
        bucket, _, prefix = uri[len("gs://"):].partition("/")
        for root, _, names in os.walk(local):
            for name in names:
                path = os.path.join(root, name)
                key = "/".join(filter(None, [prefix.rstrip("/"), os.path.relpath(path, local)]))
                self.client.bucket(bucket).blob(key).upload_from_filename(path)

    def object_names(self, uri: str):
        bucket, _, prefix = uri[len("gs://"):].partition("/")
        return sorted(b.name[len(prefix):].lstrip("/") for b in self.client.list_blobs(bucket, prefix=prefix))


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory):
    """The emulator process, once per session: its URL. Nothing is pointed at it here."""
    if not os.access(FAKE_GCS_SERVER, os.X_OK):
        pytest.fail(f"{FAKE_GCS_SERVER} is missing: run `make setup` (it builds the Cloud Storage emulator).")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = str(tmp_path_factory.mktemp("fake-gcs") / "server.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [FAKE_GCS_SERVER, "-scheme", "http", "-host", "127.0.0.1", "-port", str(port), "-backend", "memory",
             "-public-host", f"127.0.0.1:{port}", "-external-url", url, "-log-level", "warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        _wait_until_up(url, process, log_path)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def gcs_emulator(gcs_server, monkeypatch):
    """For one test: the google-cloud-storage client (and so Beam's GCS filesystem)
    pointed at the emulator, and Beam told not to look for credentials; both undone
    after the test, so no other test's gs:// traffic goes to the emulator."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server)
    previous = anonymous_beam_credentials()
    try:
        yield Emulator(gcs_server)
    finally:
        restore_beam_credentials(previous)


@pytest.fixture
def gcs_bucket(gcs_emulator):
    """``gs://<fresh bucket>`` on the emulator."""
    name = "test-" + uuid.uuid4().hex[:12]
    gcs_emulator.client.create_bucket(name)
    return f"gs://{name}"
