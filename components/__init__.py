"""kfp-tf-components: KFP v2 components for the TensorFlow model lifecycle.

Layout: one folder per component, each with ``component.py`` (the thin KFP
wrapper, authoring layer, kfp only) and ``runtime.py`` (the plain functions that
do the work with TFDV, TFT, Keras, TFMA and Beam, imported inside the running
component). ``components.catalog`` lists the wrappers; ``components.common``
holds runtime helpers. This file imports nothing, because every running
component imports it on its way to its runtime module.
"""
from components.version import __version__

__all__ = ["__version__"]
