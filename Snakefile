"""The review, from raw database exports to PRISMA counts, evidence levels, tables and figures.

Rules declare files in and files out and call `python -m pipeline <stage>`; all logic lives in
the `pipeline` package. Each rule's `params` hold the config sections it reads, so editing one
section of config.yaml reruns only the stages downstream of it, and a fingerprint of the package's
code, so that upgrading the pipeline reruns every stage instead of leaving outputs the new code
would write differently.
"""

import hashlib
import json
from pathlib import Path

import pipeline
from pipeline import folder
from pipeline.config import with_defaults, workflow_inputs


# The review file of this run: the one given with --configfile, else config.yaml. The stages read
# this file, so `snakemake --configfile other.yaml` runs the review other.yaml describes.
CONFIG = folder.config_file(workflow.overwrite_configfiles)
# Checked before Snakemake reads it, so that a YAML error, a file that is not UTF-8, a missing
# export or a folder where a decision file belongs is reported as one ERROR line saying what to
# fix, not as a workflow error.
folder.preflight(CONFIG)
if not workflow.overwrite_configfiles:

    configfile: CONFIG


config.update(with_defaults(config))
SOURCES = [source["id"] for source in config["sources"]]
EXPORTS = {source["id"]: source["path"] for source in config["sources"]}
SCREENING = workflow_inputs(f"{folder.SCREENING}/*.csv")
PUBLISHED = workflow_inputs(f"{folder.PUBLISHED}/*.csv")
# Optional files: a missing one is read as empty (an empty list here, and no path on the command line).
DUPLICATES = folder.optional(folder.DUPLICATES)
RESOLUTIONS = folder.optional(folder.RESOLUTIONS)
EXTRACTION = folder.optional(folder.EXTRACTION)
RATERS = workflow_inputs(f"{folder.RATERS}/*.csv")
EXTRACTION_RESOLUTIONS = folder.optional(folder.EXTRACTION_RESOLUTIONS)
TABLES = [table["id"] for table in config.get("tables", [])]
FIGURE_FORMATS = config["figures"]["formats"]
PRISMA_FORMATS = config["prisma"]["formats"]


def code_fingerprint():
    """SHA-256 (first 16 hex digits) over the path and bytes of every .py and .json file of the
    installed pipeline package and of the report page's .html, .css and .js files, in path order."""
    package = Path(pipeline.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".html", ".css", ".js") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


CODE = code_fingerprint()


rule ingest_source:
    """Read one export into a table of its records: one job per source, side by side."""
    input:
        export=lookup(dpath="{source}", within=EXPORTS),
    output:
        records=temp("data/processed/ingest/sources/{source}.csv"),
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"sources": config["sources"]}, sort_keys=True),
    log:
        "data/processed/logs/ingest_source/{source}.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python -m pipeline ingest-source --config {params.config:q} --source {wildcards.source:q}"
        " --export {input.export:q} --output-records {output.records:q} --log {log:q}"


rule ingest:
    """Join the sources' records into one table, in the order of the config, one row per raw record."""
    input:
        sources=expand(rules.ingest_source.output.records, source=SOURCES),
    output:
        records="data/processed/ingest/records.csv",
    params:
        config=CONFIG,
        code=CODE,
    log:
        "data/processed/logs/ingest.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python -m pipeline ingest --config {params.config:q} --sources {input.sources:q}"
        " --output-records {output.records:q} --log {log:q}"


rule deduplicate:
    """Group duplicate records into studies; every merge names the rule that fired."""
    input:
        records=rules.ingest.output.records,
        decisions=DUPLICATES,
    output:
        records="data/processed/deduplicate/records.csv",
        pairs="data/processed/deduplicate/pairs.csv",
        maybe="data/processed/deduplicate/maybe_pairs.csv",
        studies="data/processed/deduplicate/studies.csv",
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"deduplicate": config.get("deduplicate", {})}, sort_keys=True),
    log:
        "data/processed/logs/deduplicate.log",
    # prepares and compares its chunks in two processes (pipeline.deduplicate.WORKERS)
    conda:
        "envs/pipeline.yaml"
    threads: 2
    resources:
        mem_mb=4000,
    shell:
        "python -m pipeline deduplicate --config {params.config:q} --records {input.records:q}"
        " --decisions {input.decisions:q} --output-records {output.records:q} --output-pairs {output.pairs:q}"
        " --output-maybe {output.maybe:q} --output-studies {output.studies:q} --log {log:q}"


rule screen:
    """Apply automation criteria and every reviewer's decisions; list conflicts and work queues."""
    input:
        records=rules.deduplicate.output.records,
        studies=rules.deduplicate.output.studies,
        decisions=SCREENING,
        resolutions=RESOLUTIONS,
    output:
        records="data/processed/screen/records.csv",
        studies="data/processed/screen/studies.csv",
        conflicts="data/processed/screen/conflicts.csv",
        queue_title_abstract="data/processed/screen/to_screen_title_abstract.csv",
        queue_full_text="data/processed/screen/to_screen_full_text.csv",
        agreement="data/processed/screen/agreement.csv",
        unchecked="data/processed/screen/automation_unchecked.csv",
        decisions="data/processed/screen/decisions.csv",
        resolutions="data/processed/screen/resolutions.csv",
        stopping="data/processed/screen/stopping.json",
        ordering="data/processed/screen/ordering.json",
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"criteria": config["criteria"], "search": config["search"],
                             "screening": config.get("screening", {}), "sources": config["sources"]}, sort_keys=True),
    log:
        "data/processed/logs/screen.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python -m pipeline screen --config {params.config:q} --records {input.records:q} --studies {input.studies:q}"
        " --decisions {input.decisions:q} --resolutions {input.resolutions:q}"
        " --output-records {output.records:q} --output-studies {output.studies:q}"
        " --output-conflicts {output.conflicts:q} --output-queue-title-abstract {output.queue_title_abstract:q}"
        " --output-queue-full-text {output.queue_full_text:q} --output-agreement {output.agreement:q}"
        " --output-unchecked {output.unchecked:q} --output-decisions {output.decisions:q}"
        " --output-resolutions {output.resolutions:q} --output-stopping {output.stopping:q}"
        " --output-ordering {output.ordering:q} --log {log:q}"


rule classify:
    """Give each included study its evidence level and the rule that gave it; suggest each design
    from its title and publication types, and audit where the suggestion and the extraction part."""
    input:
        studies=rules.screen.output.studies,
        extraction=EXTRACTION,
        resolutions=EXTRACTION_RESOLUTIONS,
        raters=RATERS,
    output:
        studies="data/processed/classify/studies.csv",
        interventions="data/processed/classify/interventions.csv",
        audit="data/processed/classify/audit.csv",
        suggestions="data/processed/classify/suggestions.csv",
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"hierarchy": config["hierarchy"]}, sort_keys=True),
    log:
        "data/processed/logs/classify.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "python -m pipeline classify --config {params.config:q} --studies {input.studies:q}"
        " --extraction {input.extraction:q} --resolutions {input.resolutions:q} --raters {input.raters:q}"
        " --output-studies {output.studies:q}"
        " --output-interventions {output.interventions:q} --output-audit {output.audit:q}"
        " --output-suggestions {output.suggestions:q} --log {log:q}"


rule audit:
    """Agreement between raters and of the rules with each source's stated level; conflicts, final
    values and each rater's blinded queue; what each contested study's other level changes."""
    input:
        studies=rules.screen.output.studies,
        classified=rules.classify.output.studies,
        extraction=EXTRACTION,
        resolutions=EXTRACTION_RESOLUTIONS,
        raters=RATERS,
    output:
        agreement="data/processed/audit/agreement.csv",
        conflicts="data/processed/audit/conflicts.csv",
        final="data/processed/audit/final.csv",
        levels="data/processed/audit/levels.csv",
        robustness="data/processed/audit/robustness.csv",
        verdicts="data/processed/audit/robustness.md",
        queues=expand("data/processed/audit/to_extract/{rater}.csv", rater=folder.raters()),
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"hierarchy": config["hierarchy"], "tables": config.get("tables", [])}, sort_keys=True),
    log:
        "data/processed/logs/audit.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "python -m pipeline audit --config {params.config:q} --studies {input.studies:q}"
        " --classified {input.classified:q} --extraction {input.extraction:q} --resolutions {input.resolutions:q}"
        " --raters {input.raters:q} --output-agreement {output.agreement:q} --output-conflicts {output.conflicts:q}"
        " --output-final {output.final:q} --output-levels {output.levels:q}"
        " --output-robustness {output.robustness:q} --output-verdicts {output.verdicts:q}"
        " --output-queues {output.queues:q} --log {log:q}"


rule prisma:
    """PRISMA 2020 counts from record status, checked to add up, as JSON, template CSV and diagram."""
    input:
        records=rules.screen.output.records,
    output:
        counts="data/processed/prisma/counts.json",
        template="data/processed/prisma/prisma2020.csv",
        diagram=expand("figures/prisma_flow.{ext}", ext=PRISMA_FORMATS),
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"sources": config["sources"], "criteria": config["criteria"],
                             "prisma": config.get("prisma", {}), "screening": config.get("screening", {})},
                            sort_keys=True),
    log:
        "data/processed/logs/prisma.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "python -m pipeline prisma --config {params.config:q} --records {input.records:q}"
        " --output-counts {output.counts:q} --output-template {output.template:q}"
        " --output-diagram {output.diagram:q} --log {log:q}"


rule tables:
    """Each configured study characteristic by evidence level, with row and column totals."""
    input:
        classified=rules.classify.output.studies,
    output:
        tables=expand("data/processed/tables/{table}.csv", table=TABLES),
        markdown="data/processed/tables/tables.md",
        latex="data/processed/tables/tables.tex",
        workbook="data/processed/tables/tables.xlsx",
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"tables": config.get("tables", []), "hierarchy": config["hierarchy"]}, sort_keys=True),
    log:
        "data/processed/logs/tables.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "python -m pipeline tables --config {params.config:q} --classified {input.classified:q}"
        " --output-tables {output.tables:q} --output-markdown {output.markdown:q}"
        " --output-latex {output.latex:q} --output-workbook {output.workbook:q} --log {log:q}"


rule figures:
    """The evidence pyramid with counts and one chart per table."""
    input:
        classified=rules.classify.output.studies,
        tables=rules.tables.output.tables,
    output:
        pyramid=expand("figures/evidence_pyramid.{ext}", ext=FIGURE_FORMATS),
        charts=expand("figures/{table}.{ext}", table=TABLES, ext=FIGURE_FORMATS),
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"figures": config.get("figures", {}), "hierarchy": config["hierarchy"],
                             "tables": config.get("tables", [])}, sort_keys=True),
    log:
        "data/processed/logs/figures.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "python -m pipeline figures --config {params.config:q} --classified {input.classified:q}"
        " --tables {input.tables:q} --output-pyramid {output.pyramid:q} --output-charts {output.charts:q}"
        " --log {log:q}"


rule reconcile:
    """What the review published against what the pipeline reproduces, with reasons."""
    input:
        published=PUBLISHED,
        tables=rules.tables.output.tables,
        counts=rules.prisma.output.counts,
        classified=rules.classify.output.studies,
        studies=rules.screen.output.studies,
    output:
        reconciled="data/processed/reconcile/reconcile.csv",
        arithmetic="data/processed/reconcile/arithmetic.csv",
        markdown="data/processed/reconcile/reconcile.md",
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"sources": config["sources"], "search": config["search"],
                             "hierarchy": config["hierarchy"], "tables": config.get("tables", [])}, sort_keys=True),
    log:
        "data/processed/logs/reconcile.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "python -m pipeline reconcile --config {params.config:q} --published {input.published:q}"
        " --tables {input.tables:q} --counts {input.counts:q} --classified {input.classified:q}"
        " --studies {input.studies:q} --output-reconciled {output.reconciled:q}"
        " --output-arithmetic {output.arithmetic:q} --output-markdown {output.markdown:q} --log {log:q}"


rule report:
    """One self-contained HTML audit report: every study's path from raw records to its evidence level."""
    input:
        records=rules.screen.output.records,
        studies=rules.screen.output.studies,
        pairs=rules.deduplicate.output.pairs,
        decisions=rules.screen.output.decisions,
        resolutions=rules.screen.output.resolutions,
        classified=rules.classify.output.studies,
        interventions=rules.classify.output.interventions,
        audit=rules.classify.output.audit,
        counts=rules.prisma.output.counts,
        tables=rules.tables.output.tables,
        reconciled=rules.reconcile.output.reconciled,
        arithmetic=rules.reconcile.output.arithmetic,
        agreement=rules.screen.output.agreement,
        conflicts=rules.screen.output.conflicts,
        level_agreement=rules.audit.output.agreement,
        levels=rules.audit.output.levels,
        robustness=rules.audit.output.robustness,
        rater_conflicts=rules.audit.output.conflicts,
        stopping=rules.screen.output.stopping,
        diagram=rules.prisma.output.diagram,
        charts=rules.figures.output,
    output:
        report="data/processed/report/index.html",
    params:
        config=CONFIG,
        code=CODE,
        settings=json.dumps({"review": config.get("review", {}), "sources": config["sources"],
                             "criteria": config["criteria"], "hierarchy": config["hierarchy"],
                             "tables": config.get("tables", [])}, sort_keys=True),
    log:
        "data/processed/logs/report.log",
    conda:
        "envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python -m pipeline report --config {params.config:q} --records {input.records:q} --studies {input.studies:q}"
        " --pairs {input.pairs:q} --decisions {input.decisions:q} --resolutions {input.resolutions:q}"
        " --classified {input.classified:q} --interventions {input.interventions:q} --audit {input.audit:q}"
        " --counts {input.counts:q} --tables {input.tables:q} --reconciled {input.reconciled:q}"
        " --arithmetic {input.arithmetic:q} --agreement {input.agreement:q} --conflicts {input.conflicts:q}"
        " --level-agreement {input.level_agreement:q} --levels {input.levels:q} --robustness {input.robustness:q}"
        " --rater-conflicts {input.rater_conflicts:q} --stopping {input.stopping:q}"
        " --figures {input.diagram:q} {input.charts:q} --output-report {output.report:q} --log {log:q}"


rule all:
    """Everything the review reports; every stage's outputs are requested so that a stage whose
    outputs were removed (for example after it failed) runs again."""
    default_target: True
    input:
        rules.ingest.output,
        rules.deduplicate.output,
        rules.screen.output,
        rules.classify.output,
        rules.audit.output,
        rules.prisma.output,
        rules.tables.output,
        rules.figures.output,
        rules.reconcile.output,
        rules.report.output,
