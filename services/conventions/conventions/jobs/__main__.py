import sys

from cnum_shared.framework.jobs import run_jobs_cli
from conventions.bootstrap import bootstrap
from conventions.jobs import JOBS

sys.exit(run_jobs_cli("conventions", JOBS, bootstrap))
