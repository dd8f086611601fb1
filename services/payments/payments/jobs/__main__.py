import sys

from cnum_shared.jobs import run_jobs_cli
from payments import make_context
from payments.jobs import JOBS

sys.exit(run_jobs_cli("payments", JOBS, make_context))
