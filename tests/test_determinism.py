"""Same bytes on every CPU: total orders, rounded floats, and no dependence on numpy's SIMD level or BLAS kernels."""

import json
import os
import platform
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tifa import config
from tifa.util.tables import format_table, sort_table

# numpy's dispatch and OpenBLAS's kernels switched down to the x86-64 baseline (what an older laptop runs)
LOW = {"NPY_DISABLE_CPU_FEATURES": "AVX512_SPR AVX512_ICL X86_V4 X86_V3", "OPENBLAS_CORETYPE": "Nehalem", "OPENBLAS_NUM_THREADS": "1"}
# the intermediate level: AVX2 but no AVX-512
MIDDLE = {"NPY_DISABLE_CPU_FEATURES": "AVX512_SPR AVX512_ICL X86_V4", "OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "2"}

ANALYSES = """
import sys
from tifa import load_corpus
from tifa.stats import build_dfm, cluster_documents, textstat_frequency, textstat_keyness, textstat_simil
from tifa.util.tables import format_table
from tifa.tokens import tokens
from tifa.topics import fit_topics, topic_prevalence, topic_units

corpus = load_corpus()
toks = tokens(corpus, cache_dir=None)
dfm = build_dfm(toks)
tables = [textstat_keyness(dfm, g, by="province") for g in sorted(corpus.docs["province"].unique())]
tables.append(textstat_frequency(dfm, by="province"))
similarity = textstat_simil(dfm)
tables.append(similarity.reset_index())
tables.append(pd.DataFrame(cluster_documents(similarity)))
model = fit_topics(topic_units(corpus, toks), k=5, method="nmf")
tables.append(model.top_terms(10))
tables.append(topic_prevalence(model, by="province", n_boot=200))
# the structural topic model: its topics, effects by the method of composition, a contrast, and their figures
import hashlib, io
from tifa.effects import estimate_effect, topic_contrast, topic_effects
from tifa.figures import plot_topic_contrast, plot_topic_effects_over_time, use_style
from tifa.stm import fit_stm
stm = fit_stm(topic_units(corpus, toks), k=3, prevalence="~ year")
tables.append(stm.top_terms(10))
effects = estimate_effect(stm, nsims=5, progress=False)
curve, contrast = topic_effects(effects), topic_contrast(effects, "year", 2022, 2014)
tables += [curve, contrast]
use_style()
for fig in [*plot_topic_effects_over_time(curve, effects.labels), plot_topic_contrast(contrast, effects.labels)]:
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=100)
    tables.append(pd.DataFrame({"figure_sha256": [hashlib.sha256(png.getvalue()).hexdigest()]}))
sys.stdout.write("\\n".join(format_table(t, decimals=6).to_csv(index=False) for t in tables))
"""


def _run(env_changes: dict[str, str | None]) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    result = subprocess.run([sys.executable, "-c", "import pandas as pd\n" + ANALYSES], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(platform.machine() != "x86_64", reason="numpy's x86 dispatch levels")
def test_analyses_give_the_same_tables_at_every_simd_level_and_blas_kernel():
    full = _run({})
    assert full.count("\n") > 500, "the analyses wrote their tables"
    assert _run(LOW) == full
    assert _run(MIDDLE) == full


def test_ties_are_ordered_by_the_tie_breaker_whatever_the_last_bits():
    # two terms whose statistic differs only in the last bit, as different SIMD paths of log() give
    g2 = 18.902842654292137
    table = pd.DataFrame({"term": ["b", "a", "c"], "g2": [g2, np.nextafter(g2, 0), 3.0]})
    for rows in (table, table.iloc[::-1]):
        assert sort_table(rows, ["g2", "term"], ascending=[False, True])["term"].tolist() == ["a", "b", "c"]


def test_written_floats_are_rounded_and_p_values_scientific():
    table = pd.DataFrame({"term": ["a"], "count": [3], "g2": [18.902842654292137], "p": [0.000123456], "p_adj": [0.5]})
    written = format_table(table).to_csv(index=False, lineterminator="\n")
    assert written == "term,count,g2,p,p_adj\na,3,18.90,1.23e-04,5.00e-01\n"


UNSTABLE_SORT = re.compile(r"sort_values\(|\.argsort\(|np\.sort\(")


def test_every_sort_in_the_package_and_notebooks_names_a_stable_kind():
    places = [p for p in (config.PACKAGE_DIR).rglob("*.py")] + list(config.NOTEBOOKS_DIR.glob("*.ipynb"))
    offenders = []
    for path in places:
        text = path.read_text(encoding="utf-8")
        lines = ["".join(c["source"]) for c in json.loads(text)["cells"]] if path.suffix == ".ipynb" else [text]
        for block in lines:
            for line in block.splitlines():
                if UNSTABLE_SORT.search(line) and "kind=" not in line:
                    offenders.append(f"{path.name}: {line.strip()}")
    assert not offenders, offenders
