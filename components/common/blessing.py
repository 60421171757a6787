"""The blessing files: evaluate's and infra_validate's verdicts, written and read here only.

TFX's layout: an evaluation blessing folder holds an empty ``BLESSED`` or
``NOT_BLESSED`` file and ``blessing.json`` (``blessed``, ``reasons`` and the
details: both models' metrics and intervals, the thresholds, every check, and the
``record`` push stores with the model); an infra blessing folder holds
``INFRA_BLESSED`` or ``INFRA_NOT_BLESSED`` and ``infra_validation.json``.
``push`` and ``vertex_push`` decide from both with ``push_decision``.
"""
import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

from components.common import layout

BLESSING_FILE = "blessing.json"
INFRA_BLESSED_FILE = "INFRA_BLESSED"
INFRA_NOT_BLESSED_FILE = "INFRA_NOT_BLESSED"
INFRA_RESULT_FILE = "infra_validation.json"


def _write(folder: str, marker: str, result_file: str, content: Dict[str, object]) -> None:
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, marker), "w").close()
    with open(os.path.join(folder, result_file), "w") as handle:
        json.dump(content, handle, indent=2)


def _read(folder: str, result_file: str) -> Dict[str, object]:
    path = os.path.join(folder, result_file)
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        return json.load(handle)


def _says(folder: str, yes: str, no: str) -> bool:
    return os.path.exists(os.path.join(folder, yes)) and not os.path.exists(os.path.join(folder, no))


def write_blessing(blessing_uri: str, blessed: bool, reasons: Sequence[str], details: Optional[Dict] = None) -> None:
    """Write evaluate's verdict: the marker file and blessing.json."""
    marker = layout.BLESSED_FILE if blessed else layout.NOT_BLESSED_FILE
    _write(blessing_uri, marker, BLESSING_FILE, {"blessed": blessed, "reasons": list(reasons), **(details or {})})


def is_blessed(blessing_uri: str) -> bool:
    """Whether an evaluation blessing says BLESSED (and not NOT_BLESSED)."""
    return _says(blessing_uri, layout.BLESSED_FILE, layout.NOT_BLESSED_FILE)


def blessing_reasons(blessing_uri: str) -> List[str]:
    """The reasons blessing.json gives (empty when there is none)."""
    return list(_read(blessing_uri, BLESSING_FILE).get("reasons", []))


def blessing_record(blessing_uri: str) -> Optional[Dict[str, object]]:
    """The evaluation record blessing.json carries for push (None when there is none)."""
    return _read(blessing_uri, BLESSING_FILE).get("record")


def write_infra_blessing(output_uri: str, report: Dict[str, object]) -> None:
    """Write infra_validate's verdict: the marker file and infra_validation.json."""
    marker = INFRA_BLESSED_FILE if report["blessed"] else INFRA_NOT_BLESSED_FILE
    _write(output_uri, marker, INFRA_RESULT_FILE, report)


def is_infra_blessed(output_uri: str) -> bool:
    """Whether an infra blessing says INFRA_BLESSED (and not INFRA_NOT_BLESSED)."""
    return _says(output_uri, INFRA_BLESSED_FILE, INFRA_NOT_BLESSED_FILE)


def infra_reasons(output_uri: str) -> List[str]:
    """The reasons infra_validation.json gives (empty when there is none)."""
    return list(_read(output_uri, INFRA_RESULT_FILE).get("reasons", []))


def push_decision(blessing_uri: str, infra_blessing_uri: Optional[str]) -> Tuple[bool, List[str]]:
    """Whether both blessings are positive, and why not.

    ``blessing_uri`` is evaluate's blessing (BLESSED / NOT_BLESSED), and
    ``infra_blessing_uri`` infra_validate's (INFRA_BLESSED / INFRA_NOT_BLESSED);
    None skips the infra check. Returns ``(ok, reasons)``, reasons naming what blocks.
    """
    reasons = []
    if not is_blessed(blessing_uri):
        reasons.append("not blessed by evaluate: " + ("; ".join(blessing_reasons(blessing_uri)) or "no BLESSED file"))
    if infra_blessing_uri is not None and not is_infra_blessed(infra_blessing_uri):
        reasons.append("infra validation failed: " + ("; ".join(infra_reasons(infra_blessing_uri)) or "no INFRA_BLESSED file"))
    return not reasons, reasons
