"""wac results store: SQLite import, selection, statistics and the
harness's judge.  Used by results/wac-results (the command),
results/nightly-report and plots/wac-plot.  Python 3 standard library only.

Data model (see results/README.md):

  runs     one row per measured run: a wac/1 document (standalone or
           belonging to a harness document), a harness scenario run, or a
           fio run.  Columns hold what makes runs comparable.
  metrics  (run, name, value): every numeric result as a row, so a new
           metric needs no schema change.
  labels   (run, label): free-form tags ("baseline", "nightly-...").

Modules: store (schema, hashes), flatten, ingest (import), fio, selection,
stats, history (night-to-night noise), compare, and outcome (the judge) + harnessdoc (the one writer of harness.json).
"""

from .compare import (DEFAULT_METRICS, METRIC_RULES, NOISE_SDS, compare, fmt_change,  # noqa: F401
                      fmt_num, judge, metric_rule, varying_fields)
from .costcmp import COST_MIN_CHANGE_PCT, compare_cost, judge_cost, load_cost  # noqa: F401
from .flatten import flatten_numbers  # noqa: F401
from .history import MIN_NIGHT_DIFFS, NIGHT_SDS, earlier_nights, night_noise  # noqa: F401
from .ingest import Importer, classify, harness_fields, wac_fields  # noqa: F401
from .fio import fio_fields  # noqa: F401
from .selection import (Selector, describe_key, group_key, load_metrics,  # noqa: F401
                        load_runs)
from .stats import (BadTable, cost_rows, format_cost_table, format_pairs, mean,  # noqa: F401
                    ratio_interval, read_cost_tsv, read_pairs, stddev, summarize, trim)
from .store import (ALL_FIELDS, DEFAULT_DB, INFO_FIELDS, INT_FIELDS,  # noqa: F401
                    KEY_FIELDS, RESULTS_DIR, BadDocument, content_hash, default_db_path,
                    open_db)
