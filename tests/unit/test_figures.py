"""Unit tests for pipeline.figures: the evidence pyramid, the dimension charts, byte-stable saving."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from pipeline.config import Hierarchy, Level, SearchSettings, Settings, TableSpec
from pipeline.errors import PipelineError
from pipeline.figures import dimension_chart, figures, pyramid, save, summary
from pipeline.render.charts import LEVEL_COLOURS, level_colour, text_colour

REPO = Path(__file__).resolve().parents[2]
LEVELS = (Level("best", "Best Practice"), Level("promising", "Promising Practice"),
          Level("emerging", "Emerging Practice"), Level("contraindicated", "Contraindicated Practice"))
HIERARCHY = Hierarchy(levels=LEVELS, designs=(), precedence=("no_effect", "design"), no_effect_level="contraindicated")
SPEC = TableSpec("table2_methodology", "Study Methodology", "design", "Methodology")
SAMPLE = {"best": 9, "promising": 44, "emerging": 67, "contraindicated": 6}


def classified(counts: dict[str, int], unclassified: int = 0) -> pd.DataFrame:
    levels = [level for level, n in counts.items() for _ in range(n)] + [""] * unclassified
    return pd.DataFrame({"study_id": [f"s{i:03d}" for i in range(len(levels))], "evidence_level": levels}, dtype=str)


def table() -> pd.DataFrame:
    return pd.DataFrame({
        "Methodology": ["Opinion", "Realist review", "Randomized control trial", "Not reported", "Total"],
        "Best Practice": ["0", "0", "3", "6", "9"],
        "Promising Practice": ["0", "26", "0", "18", "44"],
        "Emerging Practice": ["30", "0", "0", "37", "67"],
        "Contraindicated Practice": ["0", "0", "2", "4", "6"],
        "Total": ["30", "26", "5", "65", "126"],
    }, dtype=str)


def texts(figure: Figure) -> list[str]:
    return [text.get_text() for axes in figure.axes for text in axes.texts]


def text_position(figure: Figure, content: str) -> tuple[float, float]:
    return next(text.get_position() for axes in figure.axes for text in axes.texts if text.get_text() == content)


# --- the pyramid ---------------------------------------------------------------------------------


def test_pyramid_labels_every_level_with_its_count():
    figure = pyramid(classified(SAMPLE), HIERARCHY)
    labels = texts(figure)
    for expected in ("Best Practice\n9 studies", "Promising Practice\n44 studies", "Emerging Practice\n67 studies",
                     "Contraindicated Practice\n6 studies"):
        assert expected in labels
    assert figure.axes[0].get_title() == "Hierarchy of evidence: 126 studies included"


def test_pyramid_puts_the_best_level_on_top_and_narrowest():
    figure = pyramid(classified(SAMPLE), HIERARCHY)
    heights = [text_position(figure, f"{label}\n{SAMPLE[key]} studies")[1]
               for key, label in (("best", "Best Practice"), ("promising", "Promising Practice"),
                                  ("emerging", "Emerging Practice"))]
    assert heights == sorted(heights, reverse=True)
    tiers = [patch for patch in figure.axes[0].patches if isinstance(patch, Polygon)]
    assert len(tiers) == 3
    widths = [max(x for x, _ in tier.get_xy()) - min(x for x, _ in tier.get_xy()) for tier in tiers]
    assert widths == sorted(widths)
    assert [tier.get_facecolor()[:3] for tier in tiers] == [
        pytest.approx(tuple(int(c[i:i + 2], 16) / 255 for i in (1, 3, 5))) for c in LEVEL_COLOURS[:3]]


def test_pyramid_draws_the_no_effect_level_apart():
    figure = pyramid(classified(SAMPLE), HIERARCHY)
    boxes = [patch for patch in figure.axes[0].patches if isinstance(patch, Rectangle)]
    assert len(boxes) == 1
    tiers = [patch for patch in figure.axes[0].patches if isinstance(patch, Polygon)]
    assert boxes[0].get_x() > max(x for tier in tiers for x, _ in tier.get_xy())


def test_pyramid_without_a_no_effect_level_stacks_every_level():
    hierarchy = Hierarchy(levels=LEVELS, designs=(), precedence=("design",))
    figure = pyramid(classified(SAMPLE), hierarchy)
    assert len([p for p in figure.axes[0].patches if isinstance(p, Polygon)]) == 4
    assert not [p for p in figure.axes[0].patches if isinstance(p, Rectangle)]


@pytest.mark.parametrize("counts, unclassified, expected", [
    ({"best": 1, "promising": 0, "emerging": 2, "contraindicated": 0}, 0,
     ["Best Practice\n1 study", "Promising Practice\n0 studies", "Contraindicated Practice\n0 studies"]),
    (SAMPLE, 3, ["3 studies without a configured evidence level"]),
    ({"best": 0, "promising": 0, "emerging": 0, "contraindicated": 0}, 1,
     ["1 study without a configured evidence level", "Emerging Practice\n0 studies"]),
], ids=["singular-and-zero", "unclassified-note", "nothing-classified"])
def test_pyramid_texts(counts, unclassified, expected):
    labels = texts(pyramid(classified(counts, unclassified), HIERARCHY))
    for text in expected:
        assert text in labels


def test_pyramid_ignores_row_order():
    shuffled = classified(SAMPLE).iloc[::-1]
    assert texts(pyramid(shuffled, HIERARCHY)) == texts(pyramid(classified(SAMPLE), HIERARCHY))


def test_pyramid_needs_evidence_levels():
    with pytest.raises(PipelineError, match="classified studies: classified studies lack the column 'evidence_level'; "
                                            "run the classify stage before figures"):
        pyramid(pd.DataFrame({"study_id": ["s1"]}), HIERARCHY)


@pytest.mark.parametrize("fill, expected", [("#0072B2", "white"), ("#E69F00", "black"), ("#FFFFFF", "black"),
                                            ("#000000", "white")], ids=["blue", "orange", "white", "black"])
def test_text_colour(fill, expected):
    assert text_colour(fill) == expected


def test_palette_cycles_past_its_end():
    assert level_colour(0) == LEVEL_COLOURS[0]
    assert level_colour(len(LEVEL_COLOURS) + 1) == LEVEL_COLOURS[1]


# --- dimension charts --------------------------------------------------------------------------------


def test_dimension_chart_stacks_one_bar_per_row_and_level():
    figure = dimension_chart(table(), SPEC, HIERARCHY)
    axes = figure.axes[0]
    assert [container.get_label() for container in axes.containers] == [level.label for level in LEVELS]
    assert all(len(container.patches) == 4 for container in axes.containers)  # Total row left out
    assert [tick.get_text() for tick in axes.get_yticklabels()] == [
        "Opinion", "Realist review", "Randomized control trial", "Not reported"]
    emerging = axes.containers[2]
    assert [bar.get_width() for bar in emerging.patches] == [30, 0, 0, 37]
    assert [bar.get_x() for bar in emerging.patches] == [0, 26, 3, 24]
    assert [t.strip() for t in texts(figure)] == ["30", "26", "5", "65"]
    assert axes.get_title() == "Study Methodology"
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [level.label for level in LEVELS]


def test_interventions_chart_reads_only_the_level_columns():
    interventions = pd.DataFrame({
        "Intervention": ["debriefing", "reiki", "Not reported", "Total"],
        "Best Practice": ["1", "0", "0", "1"], "Promising Practice": ["0", "0", "2", "2"],
        "Emerging Practice": ["1", "0", "0", "1"], "Contraindicated Practice": ["1", "1", "0", "2"],
        "Total": ["3", "1", "2", "6"], "Level of evidence": ["Best Practice", "Contraindicated Practice", "", ""],
        "Studies": ["s1;s2;s3", "s3", "s4;s5", ""],
    }, dtype=str)
    spec = TableSpec("interventions", "Interventions by level of evidence", "intervention", "Intervention")
    axes = dimension_chart(interventions, spec, HIERARCHY).axes[0]
    assert [tick.get_text() for tick in axes.get_yticklabels()] == ["debriefing", "reiki", "Not reported"]
    assert [bar.get_width() for bar in axes.containers[3].patches] == [1, 1, 0]
    assert [t.strip() for t in texts(axes.figure)] == ["3", "1", "2"]


def test_dimension_chart_of_an_empty_table():
    empty = table().iloc[[-1]]
    assert "no studies" in texts(dimension_chart(empty, SPEC, HIERARCHY))


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns="Promising Practice"),
     "table table2_methodology: the table has no column for level(s) Promising Practice; rerun the tables stage"),
    (lambda t: t.assign(**{"Best Practice": ["x", "0", "3", "6", "9"]}),
     "table table2_methodology: cell ('Opinion', 'Best Practice') is 'x', not a whole number"),
    (lambda t: t.iloc[:, :0], "table table2_methodology: the table has no columns; rerun the tables stage"),
], ids=["missing-level", "not-a-number", "no-columns"])
def test_dimension_chart_errors(change, message):
    with pytest.raises(PipelineError) as caught:
        dimension_chart(change(table()), SPEC, HIERARCHY)
    assert message in str(caught.value)


def test_figures_builds_the_pyramid_and_one_chart_per_table():
    settings = Settings(review_id="toy", title="Toy", search=SearchSettings(string="x"), sources=(), criteria=(),
                        hierarchy=HIERARCHY, tables=(SPEC,))
    built = figures(classified(SAMPLE), {SPEC.id: table()}, settings)
    assert list(built) == ["pyramid", SPEC.id]
    with pytest.raises(PipelineError, match="config.yaml tables: table2_methodology: no reproduced table "
                                            "'table2_methodology'; run the tables stage"):
        figures(classified(SAMPLE), {}, settings)


# --- saving ----------------------------------------------------------------------------------------


def digests(paths: list[Path]) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


@pytest.mark.parametrize("build", [
    lambda: pyramid(classified(SAMPLE), HIERARCHY),
    lambda: dimension_chart(table(), SPEC, HIERARCHY),
], ids=["pyramid", "chart"])
def test_save_writes_identical_bytes_on_every_run(build, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    first = save(build(), tmp_path / "one" / "figure", ("svg", "png", "pdf"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    second = save(build(), tmp_path / "two" / "figure", ("svg", "png", "pdf"))
    assert [p.name for p in first] == ["figure.svg", "figure.png", "figure.pdf"]
    assert digests(first) == digests(second)
    assert all(path.stat().st_size > 1000 for path in first)


def test_saved_files_carry_no_date_or_version(tmp_path):
    svg, pdf = save(pyramid(classified(SAMPLE), HIERARCHY), tmp_path / "pyramid", ("svg", "pdf"))
    assert b"<dc:date>" not in svg.read_bytes()
    assert b"Matplotlib v" not in svg.read_bytes()
    assert b"CreationDate" not in pdf.read_bytes()
    assert b"Producer" not in pdf.read_bytes()


def test_save_keeps_dots_in_the_stem(tmp_path):
    paths = save(pyramid(classified(SAMPLE), HIERARCHY), tmp_path / "deep" / "pyramid.v2", ("png",))
    assert paths == [tmp_path / "deep" / "pyramid.v2.png"]
    assert paths[0].read_bytes().startswith(b"\x89PNG")


def test_save_rejects_unknown_formats(tmp_path):
    with pytest.raises(PipelineError, match="config.yaml .figures.formats or prisma.formats.: figure format.s. 'jpg' not supported; "
                                            "use any of: pdf, png, svg"):
        save(pyramid(classified(SAMPLE), HIERARCHY), tmp_path / "pyramid", ("png", "jpg"))
    assert not list(tmp_path.iterdir())


def test_summary():
    paths = [Path("figures/pyramid.svg"), Path("figures/pyramid.png"), Path("figures/t2.svg"), Path("figures/t2.png")]
    assert summary(paths) == "figures: 4 files for 2 figures (png=2, svg=2)"
    assert summary([]) == "figures: 0 files for 0 figures ()"


def test_building_figures_never_loads_pyplot():
    script = ("import sys, pandas as pd\n"
              "from pipeline.config import Hierarchy, Level\n"
              "from pipeline.figures import pyramid\n"
              "h = Hierarchy(levels=(Level('a', 'A'),), designs=(), precedence=('design',))\n"
              "pyramid(pd.DataFrame({'study_id': ['s'], 'evidence_level': ['a']}), h)\n"
              "print('matplotlib.pyplot' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
