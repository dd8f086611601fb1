import sys

from cnum_shared.jobs import run_jobs_cli
from conventions import make_context
from conventions.jobs import JOBS

sys.exit(run_jobs_cli("conventions", JOBS, make_context))
