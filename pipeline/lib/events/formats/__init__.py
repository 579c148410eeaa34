"""Event formats: one module per format, each declaring a :class:`~..layout.Layout`."""
