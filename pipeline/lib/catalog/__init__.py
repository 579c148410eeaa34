"""What the pipeline knows about its sources as a whole: every source and raw table, what
is on disk, publisher downloads, and the release each loaded source is."""
