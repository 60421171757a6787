"""What ``--data`` (ingest's data_path) may be, and how a path that cannot be read is reported.

A file, a folder (with or without a trailing slash) or a glob, for CSV, Parquet and
TFRecord alike; a folder mixing formats is refused by name. "Matches no file" is said
only when nothing is there: a filesystem that fails to list (no filesystem for the
scheme, permission denied) is reported with its own error.
"""
import json
import os
import subprocess
import sys

import pytest

from components.common.errors import ConfigurationError, DataError
from components.common.files import match_files
from components.ingest.runtime import detect_format, ingest
from conftest import REPO_ROOT, write_csv
from fakes.server import FakeService

ROWS = [[float(i), f"c{i % 3}", i % 2] for i in range(40)]
COLUMNS = ["x", "cat", "y"]


def _write_parts(folder, fmt):
    """Two files of ROWS (20 rows each) in ``folder``, in format ``fmt``, plus a Spark-style
    ``_SUCCESS`` marker; returns the extension used."""
    os.makedirs(folder, exist_ok=True)
    halves = (ROWS[:20], ROWS[20:])
    if fmt == "csv":
        for i, rows in enumerate(halves):
            write_csv(os.path.join(folder, f"part-{i}.csv"), COLUMNS, rows)
        ext = "csv"
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        for i, rows in enumerate(halves):
            table = pa.table({name: [row[c] for row in rows] for c, name in enumerate(COLUMNS)})
            pq.write_table(table, os.path.join(folder, f"part-{i}.parquet"))
        ext = "parquet"
    else:
        import tensorflow as tf

        from components.ingest.runtime import _make_example

        for i, rows in enumerate(halves):
            with tf.io.TFRecordWriter(os.path.join(folder, f"part-{i}.tfrecord")) as writer:
                for row in rows:
                    writer.write(_make_example(dict(zip(COLUMNS, row))).SerializeToString())
        ext = "tfrecord"
    open(os.path.join(folder, "_SUCCESS"), "w").close()
    return ext


def _forms(folder, ext):
    """The four ways to name the same data: one file, the folder, folder/, a glob."""
    return {
        "file": os.path.join(folder, f"part-0.{ext}"),
        "folder": folder,
        "folder/": folder + "/",
        "glob": os.path.join(folder, f"*.{ext}"),
    }


@pytest.mark.parametrize("fmt", ["csv", "parquet", "tfrecord"])
def test_file_folder_folder_slash_and_glob_name_the_same_files(tmp_path, fmt):
    folder = str(tmp_path / "data")
    ext = _write_parts(folder, fmt)
    both = [os.path.join(folder, f"part-{i}.{ext}") for i in (0, 1)]
    forms = _forms(folder, ext)
    assert match_files(forms["file"], "data") == both[:1]
    for form in ("folder", "folder/", "glob"):
        files = match_files(forms[form], "data")
        assert files == both, form  # the _SUCCESS marker is skipped in a folder
        assert detect_format(files, "auto", forms[form]) == fmt


@pytest.mark.parametrize("fmt", ["csv", "parquet", "tfrecord"])
def test_ingest_reads_every_row_of_a_folder_with_or_without_a_slash(tmp_path, fmt):
    folder = str(tmp_path / "data")
    _write_parts(folder, fmt)
    for i, path in enumerate((folder, folder + "/")):
        result = ingest(path, str(tmp_path / f"out{i}"), label="y")
        assert result["format"] == fmt and result["files"] == 2
        assert sum(result["split_row_counts"].values()) == len(ROWS)


def test_ingest_reads_a_tfrecord_glob_and_a_single_tfrecord_file(tmp_path):
    folder = str(tmp_path / "data")
    _write_parts(folder, "tfrecord")
    forms = _forms(folder, "tfrecord")
    assert sum(ingest(forms["glob"], str(tmp_path / "g"), label="y")["split_row_counts"].values()) == 40
    assert sum(ingest(forms["file"], str(tmp_path / "f"), label="y")["split_row_counts"].values()) == 20


def test_a_folder_mixing_formats_is_refused_naming_the_folder_and_the_formats(tmp_path):
    folder = str(tmp_path / "mixed")
    _write_parts(folder, "csv")
    _write_parts(folder, "parquet")
    with pytest.raises(ConfigurationError) as raised:
        ingest(folder + "/", str(tmp_path / "out"), label="y")
    message = str(raised.value)
    assert f"{folder}/' mixes data formats" in message
    assert "csv: " in message and "parquet: " in message and "part-0.parquet" in message
    assert f"'{folder}/*.csv'" in message  # what to do
    # A requested format that the names contradict is refused too.
    with pytest.raises(ConfigurationError, match="but input_format is 'tfrecord'"):
        detect_format(match_files(os.path.join(folder, "*.csv")), "tfrecord", folder)


def test_files_without_a_known_extension_need_input_format(tmp_path):
    folder = tmp_path / "beam_output"
    folder.mkdir()
    (folder / "data-00000-of-00001").write_bytes(b"x")
    files = match_files(str(folder))
    with pytest.raises(ConfigurationError, match="Cannot tell the format of .*data-00000-of-00001"):
        detect_format(files, "auto", str(folder))
    assert detect_format(files, "tfrecord", str(folder)) == "tfrecord"


def test_an_empty_folder_and_a_folder_of_markers_match_no_data(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for path in (str(empty), str(empty) + "/"):
        with pytest.raises(DataError, match="matches no file"):
            match_files(path, "data")
    (empty / "_SUCCESS").write_text("")
    with pytest.raises(DataError, match="holds only hidden or marker files"):
        match_files(str(empty), "data")


@pytest.mark.parametrize(
    "path, needle",
    [
        ("nosuchscheme://bucket/data.csv", "has a scheme no filesystem here can read"),
        # Beam knows hdfs:// but its client library is not installed here.
        ("hdfs://namenode/data/*.csv", "cannot be loaded: ImportError"),
    ],
)
def test_a_filesystem_that_cannot_list_is_not_reported_as_no_file(path, needle):
    with pytest.raises(DataError) as raised:
        match_files(path, "data")
    assert needle in str(raised.value) and repr(path) in str(raised.value)
    assert "matches no file" not in str(raised.value)


class _RefusingStorage(FakeService):
    """Cloud Storage's JSON API answering every read with 403, as it does for a caller
    without storage.objects.get/list."""

    def __init__(self):
        super().__init__()
        denied = {"error": {"code": 403, "message": "runner@example.iam.gserviceaccount.com does not have "
                            "storage.objects.list access to the Google Cloud Storage bucket.",
                            "errors": [{"reason": "forbidden"}]}}
        self.route("GET", r"/storage/v1/b/.*", lambda request: (403, denied))


def test_permission_denied_on_cloud_storage_is_reported_with_its_cause(tmp_path):
    """A real Cloud Storage client (Beam's) talking HTTP to a server that refuses access;
    run in a child process so that Beam's process-wide credentials cache stays untouched."""
    with _RefusingStorage() as storage:
        # Credentials holding a valid access token: found at once, never refreshed.
        credentials = tmp_path / "adc.json"
        credentials.write_text(json.dumps({
            "type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r",
            "token": "t", "expiry": "2099-01-01T00:00:00Z",
        }))
        env = dict(os.environ, STORAGE_EMULATOR_HOST=storage.url, GOOGLE_APPLICATION_CREDENTIALS=str(credentials))
        script = (
            "import sys\n"
            "from components.common.errors import DataError\n"
            "from components.common.files import match_files\n"
            "for path in sys.argv[1:]:\n"
            "    try:\n"
            "        match_files(path, 'data')\n"
            "    except DataError as error:\n"
            "        print('DataError:', error)\n"
        )
        paths = ["gs://bucket/data/", "gs://bucket/data.csv", "gs://bucket/data/*.csv"]
        done = subprocess.run([sys.executable, "-c", script, *paths], cwd=REPO_ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    reports = [line for line in done.stdout.splitlines() if line.startswith("DataError:")]
    assert len(reports) == len(paths), done.stdout + done.stderr
    for path, report in zip(paths, reports):
        assert f"Could not list the data path {path!r}: Forbidden" in report
        assert "does not have storage.objects.list access" in report
        assert "matches no file" not in report
    assert storage.calls("GET", r"/storage/v1/b/bucket/o.*")  # the client did ask the server


def test_a_local_folder_the_job_may_not_read_is_reported_not_taken_for_empty(tmp_path):
    """As another user (root's permissions are not enforced), in a forked child: a
    folder with mode 000, named as a folder, folder/, a glob and a file inside it."""
    import shutil
    import tempfile

    from apache_beam.io.filesystems import FileSystems  # noqa: F401  (imported before the fork)

    shared = tempfile.mkdtemp(prefix="kfp-tf-test-")  # pytest's tmp_path is root's only
    os.chmod(shared, 0o755)
    locked = os.path.join(shared, "locked")
    _write_parts(locked, "csv")
    os.chmod(locked, 0)
    paths = [locked, locked + "/", os.path.join(locked, "*.csv"), os.path.join(locked, "part-0.csv")]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            if os.geteuid() == 0:  # as a non-root user (the image's) mode 000 already applies
                os.setuid(4242)
            lines = []
            for path in paths:
                try:
                    match_files(path, "data")
                    lines.append("matched")
                except DataError as error:
                    lines.append(str(error))
            os.write(write, "\n".join(lines).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        reports = pipe.read().split("\n")
    os.waitpid(pid, 0)
    os.chmod(locked, 0o755)
    shutil.rmtree(shared)
    assert len(reports) == len(paths), reports
    for path, report in zip(paths, reports):
        assert report.startswith(f"Could not list the data path {path!r}: PermissionError"), report
