"""Standalone exports of a tab (`tb-suite export`): one HTML file running the tab's own bundle on embedded
route answers, or the same selection as JSON. Server side: never imports torch."""

from tb_suite.export.exporter import ExportTooLarge, export

__all__ = ["ExportTooLarge", "export"]
