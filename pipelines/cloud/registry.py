"""Artifact Registry (or any KFP template registry): upload compiled templates with tags.

    from pipelines.cloud import registry
    registry.upload(["training", "data-validation"],
                    "https://europe-west4-kfp.pkg.dev/my-project/my-repo", tags=["v0.1.0", "latest"])

Uses ``kfp.registry.RegistryClient``. On an ``https://REGION-kfp.pkg.dev/PROJECT/REPO``
host the client authenticates with Application Default Credentials; ``auth``
(a ``requests`` auth or ``google.auth`` credentials) replaces them. Each template
becomes a version of the package named after its pipeline; tags point at it.
"""
import re
from typing import List, Sequence

from pipelines.cloud.templates import TemplateError, pipeline_name, template_path

_AR_HOST = re.compile(r"^https://[a-z0-9-]+-kfp\.pkg\.dev/[^/]+/[^/]+/?$")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_registry(url: str) -> str:
    """The registry URL, or a clear error when it is not a registry address."""
    if _AR_HOST.match(url) or re.match(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/", url):
        return url.rstrip("/")
    raise TemplateError(f"--registry expects https://REGION-kfp.pkg.dev/PROJECT/REPOSITORY, got {url!r}.")


def check_tags(tags: Sequence[str]) -> List[str]:
    for tag in tags:
        if not _TAG.match(tag) or tag.startswith("sha256:"):
            raise TemplateError(f"Tag {tag!r} is not valid: letters, digits, '.', '_' and '-', not starting with sha256:.")
    return list(tags)


def upload(pipelines: Sequence[str], registry: str, tags: Sequence[str] = (), *, auth=None,
           dry_run: bool = False) -> List[dict]:
    """Upload each template; returns one dict per template.

    Args:
      pipelines: Compiled YAML paths or pipeline names (``compiled/<name>.yaml``).
      registry: ``https://REGION-kfp.pkg.dev/PROJECT/REPOSITORY``.
      tags: Tags for the new versions, e.g. the package version and ``latest``.
      auth: Replaces Application Default Credentials.
      dry_run: Return what would be uploaded without contacting the registry.

    Returns:
      ``[{"dry_run", "file", "package", "tags", "url"}]`` plus ``version`` when sent.
    """
    url = check_registry(registry)
    tags = check_tags(tags)
    planned = []
    for pipeline in pipelines:
        template = template_path(pipeline)
        planned.append({"dry_run": dry_run, "file": template, "package": pipeline_name(template), "tags": tags, "url": url})
    if dry_run:
        return planned
    from kfp.registry import RegistryClient

    client = RegistryClient(host=url, auth=auth)
    for item in planned:
        package, version = client.upload_pipeline(item["file"], tags=tags or None)
        item.update(package=package, version=version)
    return planned
