-- One run as its report page shows it: the run log entry as it is now (a run applied then may
-- have been rolled back or expired since) and, for an applied run, what its snapshot says it wrote.
select
    r.run_id, r.command, r.state, r.started_at, r.applied_at, r.rolled_back_at, r.options, r.report_dir,
    s.enrollments, s.archived, s.certificates, s.credits, s.badges, s.expired_at
from migration_runs r
left join migration_snapshots s using (run_id)
where r.run_id = $run_id
