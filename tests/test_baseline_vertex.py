"""baseline on Vertex AI: the parent model's default version, read with the real aiplatform
client from a loopback fake of the Model Registry REST API."""
from google.auth.credentials import AnonymousCredentials

from components.baseline.runtime import vertex_default_version
from components.vertex_push.runtime import push_to_vertex
from fakes.fixtures import fake_vertex  # noqa: F401 (fixture)

REGISTRY = dict(project="my-project", location="europe-west4")


def _push(fake, uri, blessed):
    return push_to_vertex(uri, blessed, model_display_name="penguins", api_endpoint=fake.url,
                          credentials=AnonymousCredentials(), **REGISTRY)


def _default_version(fake, parent):
    return vertex_default_version(parent, api_endpoint=fake.url, credentials=AnonymousCredentials(), **REGISTRY)


def test_the_default_version_is_the_baseline_not_the_newest(fake_vertex):
    champion = _push(fake_vertex, "gs://bucket/root/train/model-1", blessed=True)
    _push(fake_vertex, "gs://bucket/root/train/model-2", blessed=False)  # a newer, non-default version
    parent = champion["model"]

    found = _default_version(fake_vertex, parent)

    assert found == {"version": "1", "uri": "gs://bucket/root/train/model-1", "resource_name": parent + "@1"}
    gets = fake_vertex.calls("GET", r"/v1/" + parent + "$")
    assert gets, [r.path for r in fake_vertex.requests]
    assert not fake_vertex.calls("POST", r".*")[2:]  # only the two uploads: reading changed nothing


def test_a_parent_that_does_not_exist_yet_means_no_baseline(fake_vertex):
    assert _default_version(fake_vertex, "projects/my-project/locations/europe-west4/models/123") is None
    assert fake_vertex.models == {}


def test_a_full_resource_name_needs_no_project_or_location(fake_vertex):
    champion = _push(fake_vertex, "gs://bucket/root/train/model-1", blessed=True)
    parent = champion["model"]
    assert parent.startswith("projects/my-project/locations/europe-west4/models/")

    found = vertex_default_version(parent, project="", location="", api_endpoint=fake_vertex.url,
                                   credentials=AnonymousCredentials())

    assert found["uri"] == "gs://bucket/root/train/model-1"
