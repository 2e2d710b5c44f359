"""Canopy's Spark jobs: shared code shipped to executors as a zip (--py-files)."""
