"""Self-contained HTML views of the artifacts people look at (statistics, drift and
skew, evaluation), and the number format every report shares.

Every page is one HTML string: styles inline, charts as inline SVG drawn on the
server, no script and no URL, so it renders the same in a plain browser with no
network, inside the Kubeflow UI's sandboxed ``srcdoc`` iframe and in Vertex AI's
viewer. The modules, each with one job:

- ``formatting``: numbers as every report writes them (4 significant digits).
- ``page``: the page shell, its CSS, and HTML building blocks (tables, notes).
- ``svg``: the charts (histograms, grouped bars, curves).
- ``feature_stats``: a DatasetFeatureStatisticsList read into plain summaries.
- ``statistics_view``, ``drift_view``, ``evaluation_view``: the three pages.

Nothing here imports TensorFlow; the statistics protos are read through
tensorflow_metadata's message fields only.
"""
