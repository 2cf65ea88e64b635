"""The build pipeline: pinned sources, one ingest module per source, reconciliation, quality checks, the build."""
