"""Drawing and page-making, apart from the stages that decide what is drawn.

The stages (:mod:`pipeline.figures`, :mod:`pipeline.prisma`, :mod:`pipeline.report`) read, check and
count; the modules here only turn what the stages give them into pictures and a page:

- :mod:`pipeline.render.figure`: the style every figure is drawn in, text drawn as written, byte-stable saving;
- :mod:`pipeline.render.charts`: the evidence pyramid and the stacked bar charts;
- :mod:`pipeline.render.prisma_flow`: the layout and drawing of the PRISMA 2020 flow diagram;
- :mod:`pipeline.render.svg`: the check a figure passes before its SVG sits inside the report;
- :mod:`pipeline.render.page`: the report page, filled from ``assets/report.html``, ``report.css`` and
  ``report.js``, which ship with the package.
"""
