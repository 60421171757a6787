"""The alert of a monitoring breach: a Pub/Sub message, with the real client.

The message is the verdict's gist as JSON (``healthy``, ``breaches``, ``window``,
``model``, ``logs``), with attributes ``kind=model-monitoring`` and ``model``, so a
subscriber (a Cloud Function, an email or chat bridge) can route it without parsing.
``PUBSUB_EMULATOR_HOST`` points the client at an emulator, as everywhere in Google's
libraries.
"""
import json
from typing import Dict

from components.common.errors import ConfigurationError

PUBLISH_TIMEOUT_SECONDS = 60
ATTRIBUTE_KIND = "model-monitoring"


def alert_message(verdict: Dict[str, object]) -> bytes:
    """The message body published for a verdict."""
    gist = {key: verdict.get(key) for key in ("healthy", "breaches", "window", "model", "model_version", "logs")}
    return json.dumps(gist, indent=None, sort_keys=True).encode("utf-8")


def publish_alert(topic: str, verdict: Dict[str, object]) -> str:
    """Publish the verdict to ``topic`` (``projects/P/topics/T``); returns the message id.

    Raises:
      ConfigurationError: the topic is not a full topic name, or Pub/Sub refused the
        message (no such topic, no permission), with its message.
    """
    import warnings

    from google.api_core import exceptions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the client's import-time Python version notices
        from google.cloud import pubsub_v1

    if not topic.startswith("projects/") or "/topics/" not in topic:
        raise ConfigurationError(f"alert_topic {topic!r} is not a Pub/Sub topic: give projects/PROJECT/topics/TOPIC.")
    publisher = pubsub_v1.PublisherClient()
    try:
        future = publisher.publish(topic, alert_message(verdict), kind=ATTRIBUTE_KIND, model=str(verdict.get("model", "")))
        return future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except (exceptions.NotFound, exceptions.PermissionDenied, exceptions.InvalidArgument) as error:
        raise ConfigurationError(f"Pub/Sub refused the alert to {topic}: {error.message}") from None
    finally:
        publisher.stop()
