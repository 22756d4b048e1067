"""Reading a page, stage by stage (:mod:`ocr_cli.pipeline.reader` lists the stages);
each stage takes the page's :class:`~ocr_cli.pipeline.records.Characters` and returns
new ones, and the last gives the :class:`~ocr_cli.pipeline.records.Page` every output
renders."""
