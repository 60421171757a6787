"""The input fingerprint on Cloud Storage (the emulator): object generations, not paths."""
from components.fingerprint.runtime import fingerprint, list_entries


def _put(emulator, uri, text):
    bucket, _, name = uri[len("gs://"):].partition("/")
    emulator.client.bucket(bucket).blob(name).upload_from_string(text)


def test_a_rewritten_object_at_the_same_path_changes_the_fingerprint(gcs_emulator, gcs_bucket):
    data = f"{gcs_bucket}/data/latest.csv"
    _put(gcs_emulator, data, "a,b\n1,2\n")
    first = fingerprint([data])
    assert fingerprint([data]) == first  # unchanged: the cache may serve it
    _put(gcs_emulator, data, "a,b\n3,4\n")  # same size, a new generation
    assert fingerprint([data]) != first


def test_a_folder_and_a_glob_see_objects_added(gcs_emulator, gcs_bucket):
    _put(gcs_emulator, f"{gcs_bucket}/data/a.csv", "x\n1\n")
    _put(gcs_emulator, f"{gcs_bucket}/database/other.csv", "x\n9\n")  # shares the prefix, not the folder
    folder, pattern = fingerprint([f"{gcs_bucket}/data/"]), fingerprint([f"{gcs_bucket}/data/*.csv"])
    assert [e[0] for e in list_entries(f"{gcs_bucket}/data")] == [f"{gcs_bucket}/data/a.csv"]
    _put(gcs_emulator, f"{gcs_bucket}/data/b.csv", "x\n2\n")
    assert fingerprint([f"{gcs_bucket}/data/"]) != folder
    assert fingerprint([f"{gcs_bucket}/data/*.csv"]) != pattern
    assert list_entries(f"{gcs_bucket}/missing.csv") == []
