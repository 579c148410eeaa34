"""Pure-Python core of the pipeline: readers, indicators, models. Never imports dagster."""
