"""tifa (提法): comparative discourse analysis of Chinese government texts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tifa")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

from tifa.clean import (  # noqa: E402
    Edit,
    Step,
    clean_text,
    default_pipeline,
    make_pipeline,
)
from tifa.corpus import (  # noqa: E402
    Corpus,
    load_corpus,
    read_processed,
    write_processed,
)
from tifa.errors import CorpusError, InputError, TifaError  # noqa: E402

__all__ = [
    "Corpus",
    "CorpusError",
    "Edit",
    "InputError",
    "Step",
    "TifaError",
    "__version__",
    "clean_text",
    "default_pipeline",
    "load_corpus",
    "make_pipeline",
    "read_processed",
    "write_processed",
]
