import sys

from cnum_shared.framework.jobs import run_jobs_cli
from payments.bootstrap import bootstrap
from payments.jobs import JOBS

sys.exit(run_jobs_cli("payments", JOBS, bootstrap))
