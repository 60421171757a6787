"""Artifact Registry uploads through kfp.registry.RegistryClient, against a loopback fake of the registry."""
import pytest
from kfp.registry import RegistryClient

from conftest import REPO_ROOT
from fakes.fixtures import fake_registry  # noqa: F401 (fixture)
from pipelines.cloud import registry
from pipelines.cloud.templates import TemplateError


def test_every_template_is_uploaded_with_its_tags_and_reads_back(fake_registry, tmp_path):
    results = registry.upload(["training", "data-validation"], fake_registry.host, tags=["v0.1.0", "latest"])
    assert [r["package"] for r in results] == ["training", "data-validation"]
    uploads = fake_registry.calls("POST", "/my-project/my-repo")
    assert len(uploads) == 2
    for result in results:
        assert fake_registry.tags[result["package"]] == {"v0.1.0": result["version"], "latest": result["version"]}
        original = open(f"{REPO_ROOT}/compiled/{result['package']}.yaml", "rb").read()
        assert fake_registry.versions[result["package"]][result["version"]] == original
    downloaded = RegistryClient(host=fake_registry.host).download_pipeline(
        "training", tag="v0.1.0", file_name=str(tmp_path / "t.yaml"))
    assert open(downloaded, "rb").read() == open(f"{REPO_ROOT}/compiled/training.yaml", "rb").read()


def test_dry_run_and_bad_input_send_nothing(fake_registry):
    planned = registry.upload(["training"], fake_registry.host, tags=["v1"], dry_run=True)
    assert planned[0]["package"] == "training" and planned[0]["tags"] == ["v1"]
    with pytest.raises(TemplateError, match="REGION-kfp.pkg.dev"):
        registry.upload(["training"], "https://example.com/repo", tags=["v1"])
    with pytest.raises(TemplateError, match="not valid"):
        registry.upload(["training"], fake_registry.host, tags=["sha256:abc"])
    with pytest.raises(TemplateError, match="No compiled pipeline"):
        registry.upload(["no-such-pipeline"], fake_registry.host)
    assert registry.check_registry("https://europe-west4-kfp.pkg.dev/my-project/my-repo")
    assert fake_registry.requests == []
