"""The Jupyter surface: rich displays, a live deployment widget, the inventory explorer and pictures.

    >>> import attini_sdk as at
    >>> at.explore(["dev", "acc", "prod"])                # doctest: +SKIP
    >>> at.landscape_plot(["dev", "acc", "prod"])         # doctest: +SKIP
    >>> deployment.timeline()                             # doctest: +SKIP
    >>> deployment.watch()                                # doctest: +SKIP

Modules: ``html`` (the ``_repr_html_`` of Distribution, Artifact, Environment and Deployment), ``plots``
(matplotlib: timeline, landscape heatmap, history), ``live`` (the live deployment widget), ``explorer``
(``at.explore``). Everything here uses the public Environment/Deployment API only, so it works on any
backend. ipywidgets and matplotlib come with the ``notebook`` extra: ``pip install 'attini-sdk[notebook]'``.
"""
