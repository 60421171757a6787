"""Rendering HTML in Debian's chromium, headless and offline, as the view tests need it.

``Browser.render`` loads one page twice: as a top-level document, and inside an
iframe the way the Kubeflow Pipelines UI shows an HTML artifact (``srcdoc``, with
``sandbox="allow-scripts"``). The network is off (an offline context), and every
request for anything but the page itself (``about:``, ``data:``) is aborted and
recorded, so a test can assert that a page asked for nothing outside itself.
"""
import html
import io
import os
from dataclasses import dataclass, field
from typing import List

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}
# The iframe KFP's artifact viewer renders an HTML artifact in (frontend: HTMLViewer).
KFP_IFRAME = "<iframe id='view' sandbox='allow-scripts' style='width: 1240px; height: 860px; border: 0' srcdoc=\"{}\"></iframe>"
LOCAL_SCHEMES = ("about:", "data:")


@dataclass
class Rendered:
    """What a browser showed of one page."""

    text: str
    screenshot: bytes
    frame_text: str = ""
    frame_screenshot: bytes = b""
    requests: List[str] = field(default_factory=list)

    @staticmethod
    def ink(png: bytes) -> float:
        """The share of pixels that differ from the top-left (background) pixel."""
        from PIL import Image

        image = Image.open(io.BytesIO(png)).convert("RGB")
        background = image.getpixel((0, 0))
        pixels = list(image.getdata())
        return sum(1 for p in pixels if p != background) / len(pixels)


class Browser:
    """One headless chromium for a test module (``close`` it)."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        if not os.access(CHROMIUM, os.X_OK):
            raise RuntimeError(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium.")
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True)

    def close(self):
        self._browser.close()
        self._playwright.stop()

    def _page(self, requests: List[str]):
        context = self._browser.new_context(offline=True, viewport=VIEWPORT, java_script_enabled=True)

        def route(request_route):
            url = request_route.request.url
            if url.startswith(LOCAL_SCHEMES):
                request_route.continue_()
            else:
                requests.append(url)
                request_route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("request", lambda request: None if request.url.startswith(LOCAL_SCHEMES) else requests.append(request.url))
        return context, page

    def render(self, document: str) -> Rendered:
        """``document`` alone (full-page screenshot), then inside KFP's sandboxed srcdoc iframe."""
        requests: List[str] = []
        context, page = self._page(requests)
        page.set_content(document, wait_until="load")
        rendered = Rendered(text=page.inner_text("body"), screenshot=page.screenshot(full_page=True), requests=requests)
        page.set_content(KFP_IFRAME.format(html.escape(document, quote=True)), wait_until="load")
        frame = page.frame_locator("#view")
        rendered.frame_text = frame.locator("body").inner_text()
        rendered.frame_screenshot = page.locator("#view").screenshot()
        context.close()
        rendered.requests = sorted(set(requests))
        return rendered
