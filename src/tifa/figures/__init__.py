"""Publication figures: style and saving, labels, and one module of builders per stage of the study.

Every figure of the study is declared once in ``notebooks/figures.yaml`` (name,
notebook, caption, docvars it needs) and built by the function :data:`BUILDERS`
maps its name to. A builder takes the study's data (tables) and parameters
(keywords) and returns a Figure (or Axes, or a list of Figures when a grid would
outgrow a page); it never loads data, never reads configuration at import time,
and orders rows with stable sorts and explicit tie-breakers. ``Study.figure``
checks the registry's needs, calls the builder and saves the result. What a
builder names (places, levels, slogans) it names through the
:class:`~tifa.figures.labels.Labeller` its caller passes (``study.labeller``), so
no builder loads the gazetteer or the lexicon.
"""

from __future__ import annotations

from tifa.figures.corpus import plot_cleaning_audit, plot_documents_by_place_and_year
from tifa.figures.diffusion import (
    lag_skip_reason,
    plot_adoption_curves,
    plot_lag_distribution,
    plot_panel_heatmap,
)
from tifa.figures.labels import TEXTS, Labeller
from tifa.figures.maps import plot_province_tiles, province_tiles
from tifa.figures.reuse import plot_reuse_lags, plot_reuse_matrix, plot_reuse_shares, reuse_pairs_html
from tifa.figures.slogans import (
    plot_cooccurrence,
    plot_slogan_heatmap,
    plot_slogan_timeline,
    plot_slogan_xray,
)
from tifa.figures.style import (
    FONT_ENV,
    configure_fonts,
    current_font_path,
    default_font_path,
    font_missing_characters,
    font_subset,
    page_size,
    save_figure,
    use_style,
)
from tifa.figures.topic_effects import (
    plot_coherence_exclusivity,
    plot_stm_k_search,
    plot_topic_contrast,
    plot_topic_effects_by_group,
    plot_topic_effects_over_time,
)
from tifa.figures.terms import (
    plot_keyness,
    plot_keyness_grid,
    plot_similarity,
    plot_top_terms,
    plot_wordclouds,
)
from tifa.figures.topics import (
    plot_k_selection,
    plot_prevalence_by,
    plot_prevalence_heatmap,
    plot_topic_terms,
)

BUILDERS = {
    "documents_by_province_and_year": plot_documents_by_place_and_year,
    "cleaning_edits_by_{docs}_and_step": plot_cleaning_audit,
    "top_terms_by_{group}": plot_top_terms,
    "keyness_by_{group}_vs_rest": plot_keyness_grid,
    "keyness_provincial_vs_prefecture": plot_keyness,
    "wordclouds_by_{group}": plot_wordclouds,
    "{docs}_similarity_clustered": plot_similarity,
    "slogan_rates_by_{docs}": plot_slogan_heatmap,
    "slogan_timeline_by_year": plot_slogan_timeline,
    "slogan_positions_in_documents": plot_slogan_xray,
    "slogan_cooccurrence_by_sentence": plot_cooccurrence,
    "topic_model_selection_by_k": plot_k_selection,
    "topic_top_terms": plot_topic_terms,
    "topic_prevalence_by_{group}": plot_prevalence_heatmap,
    "topic_prevalence_by_year": plot_prevalence_by,
    "topic_stm_k_search": plot_stm_k_search,
    "topic_coherence_vs_exclusivity": plot_coherence_exclusivity,
    "topic_effects_over_year": plot_topic_effects_over_time,
    "topic_effects_by_{group}": plot_topic_effects_by_group,
    "topic_effects_by_region": plot_topic_effects_by_group,
    "topic_prevalence_contrast": plot_topic_contrast,
    "slogan_rates_by_province_and_year": plot_panel_heatmap,
    "slogan_adoption_curves_by_year": plot_adoption_curves,
    "slogan_adoption_lag_vs_national": plot_lag_distribution,
    "slogan_adoption_year_map": plot_province_tiles,
    "slogan_rate_map": plot_province_tiles,
    "reuse_share_map": plot_province_tiles,
    "reuse_share_by_province": plot_reuse_shares,
    "reuse_lag_distribution": plot_reuse_lags,
    "reuse_matrix_by_province": plot_reuse_matrix,
}

__all__ = [
    "BUILDERS",
    "FONT_ENV",
    "Labeller",
    "TEXTS",
    "configure_fonts",
    "current_font_path",
    "default_font_path",
    "font_missing_characters",
    "font_subset",
    "lag_skip_reason",
    "page_size",
    "plot_adoption_curves",
    "plot_lag_distribution",
    "plot_panel_heatmap",
    "plot_province_tiles",
    "province_tiles",
    "plot_reuse_lags",
    "plot_reuse_matrix",
    "plot_reuse_shares",
    "reuse_pairs_html",
    "plot_cleaning_audit",
    "plot_cooccurrence",
    "plot_documents_by_place_and_year",
    "plot_k_selection",
    "plot_keyness",
    "plot_keyness_grid",
    "plot_prevalence_by",
    "plot_prevalence_heatmap",
    "plot_coherence_exclusivity",
    "plot_similarity",
    "plot_slogan_heatmap",
    "plot_slogan_timeline",
    "plot_slogan_xray",
    "plot_stm_k_search",
    "plot_top_terms",
    "plot_topic_contrast",
    "plot_topic_effects_by_group",
    "plot_topic_effects_over_time",
    "plot_topic_terms",
    "plot_wordclouds",
    "save_figure",
    "use_style",
]
