"""TensorFlow's own GCS filesystem against the emulator, in a private namespace.

TensorFlow 2.16 reads ``gs://`` with endpoints compiled in
(``https://www.googleapis.com/storage/v1/``, ``https://storage.googleapis.com``)
and no setting that points it elsewhere. ``run_with_tensorflow_gcs`` therefore
runs a script as root in a new network and mount namespace (``unshare``): only a
loopback interface, ``/etc/hosts`` bind-mounted (in that namespace only) to send
both names to 127.0.0.1, and fake-gcs-server serving HTTPS on port 443 with a
certificate for those names from a CA made here (TensorFlow trusts it through
``CURL_CA_BUNDLE``, requests through ``REQUESTS_CA_BUNDLE``;
``GOOGLE_AUTH_TOKEN_FOR_TESTING`` gives TensorFlow a token without a metadata
server). Nothing outside the namespace sees any of it.

Reads through TensorFlow work so; writes do not: TensorFlow starts an upload with
an empty POST carrying ``Transfer-Encoding: identity``, which Go's HTTP server
(and so fake-gcs-server) refuses with 501 before the emulator sees it.
"""
import datetime
import os
import shutil
import subprocess
import sys

from .conftest import FAKE_GCS_SERVER

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTS = ("www.googleapis.com", "storage.googleapis.com")


def namespace_unavailable() -> str:
    """Why no namespace can be made here ("" when one can): root and unshare needed."""
    if not shutil.which("unshare"):
        return "no unshare command"
    probe = subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True, text=True)
    return "" if probe.returncode == 0 else f"unshare --net --mount refused: {probe.stderr.strip()}"


def _certificates(folder: str):
    """A CA and a server certificate for HOSTS signed by it: (ca, cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, public_key, signing_key, ca):
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTS]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kfp-tf test CA")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    server = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[0])]), ca_name, server_key.public_key(), ca_key, False)
    paths = [os.path.join(folder, name) for name in ("ca.pem", "server.pem", "server.key")]
    for path, data in zip(paths, (
        ca.public_bytes(serialization.Encoding.PEM),
        server.public_bytes(serialization.Encoding.PEM),
        server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )):
        with open(path, "wb") as handle:
            handle.write(data)
    return paths


def run_with_tensorflow_gcs(script: str, folder: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``script`` (Python source) in the namespace described above, the emulator
    serving ``gs://`` to TensorFlow and to the google-cloud-storage client alike."""
    ca, cert, key = _certificates(folder)
    hosts = os.path.join(folder, "hosts")
    with open(hosts, "w") as handle:
        handle.write("127.0.0.1 localhost " + " ".join(HOSTS) + "\n")
    script_path = os.path.join(folder, "script.py")
    with open(script_path, "w") as handle:
        handle.write(script)
    env = dict(
        os.environ, PYTHONPATH=REPO_ROOT, CURL_CA_BUNDLE=ca, REQUESTS_CA_BUNDLE=ca, NO_GCE_CHECK="true",
        GOOGLE_AUTH_TOKEN_FOR_TESTING="emulator", STORAGE_EMULATOR_HOST=f"https://{HOSTS[0]}",
    )
    command = [
        "unshare", "--net", "--mount", sys.executable, "-m", "tests.cloud_storage.namespace_main",
        FAKE_GCS_SERVER, cert, key, hosts, os.path.join(folder, "server.log"), script_path,
    ]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
