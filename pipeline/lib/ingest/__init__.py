"""Raw files to typed tables: the reading contract, text splitting, the file opener, the
country crosswalk, the source registry and one parser module per source (``sources/``)."""
