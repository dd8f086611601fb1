import sys

from cnum_shared.jobs import run_jobs_cli
from compliance import make_context
from compliance.jobs import JOBS

sys.exit(run_jobs_cli("compliance", JOBS, make_context))
