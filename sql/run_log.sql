-- The run log, newest first.
select run_id, command, state, file, sha256, import_date, started_at, applied_at, rolled_back_at,
    rows, live, archived, skipped, errors, warnings, report_dir
from migration_runs
order by started_at desc, run_id desc
