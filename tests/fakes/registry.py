"""A loopback fake of a KFP template registry (Artifact Registry's ``kfp.pkg.dev`` API).

``kfp.registry.RegistryClient(host=fake.url + "/PROJECT/REPO")`` uploads with a
multipart POST to the host (fields ``content`` and ``tags``) and reads back
``<package>/<version>``; a GET of ``<host>/<package>/<tag or version>`` downloads.
"""
import hashlib
from typing import Dict

import yaml

from fakes.server import FakeService, Recorded, multipart_fields


class FakeRegistry(FakeService):
    def __init__(self, repository: str = "my-project/my-repo"):
        super().__init__()
        self.repository = repository
        self.versions: Dict[str, Dict[str, bytes]] = {}  # package -> version -> content
        self.tags: Dict[str, Dict[str, str]] = {}  # package -> tag -> version
        self.route("POST", f"/{repository}/?", self._upload)
        self.route("GET", rf"/{repository}/(?P<package>[^/]+)/(?P<ref>[^/]+)", self._download)

    @property
    def host(self) -> str:
        return f"{self.url}/{self.repository}"

    def _upload(self, request: Recorded):
        fields = multipart_fields(request)
        content = fields["content"]
        package = yaml.safe_load(content)["pipelineInfo"]["name"]
        version = "sha256:" + hashlib.sha256(content).hexdigest()
        self.versions.setdefault(package, {})[version] = content
        for tag in filter(None, (fields.get("tags") or b"").decode().split(",")):
            self.tags.setdefault(package, {})[tag] = version
        return 200, f"{package}/{version}".encode()

    def _download(self, request: Recorded):
        package, ref = request.match["package"], request.match["ref"]
        version = self.tags.get(package, {}).get(ref, ref)
        content = self.versions.get(package, {}).get(version)
        if content is None:
            return 404, {"error": f"{package}/{ref} not found"}
        return 200, content
