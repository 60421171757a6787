"""Runtime helpers shared by the components: artifact layout, errors, Beam options.

Nothing here imports TensorFlow at module level, so the authoring layer may
import these modules freely.
"""
