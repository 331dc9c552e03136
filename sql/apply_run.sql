-- Apply a checked run: its live and archived rows, and the awards of its live rows. Run inside
-- one transaction with the run's state change (enrollment_migrate.apply).
insert into enrollments (
    user_id, course_id, status, score, created_at, started_at, completed_at, access_expires_at,
    run_id, source_row
)
select user_id, course_id, status, score, created_at, started_at, completed_at, access_expires_at,
    $run_id, "row"
from migrated_rows where store = 'live' order by "row";

insert into archived_enrollments (
    user_id, course_id, status, score, created_at, started_at, completed_at, access_expires_at,
    run_id, source_row
)
select user_id, course_id, status, score, created_at, started_at, completed_at, access_expires_at,
    $run_id, "row"
from migrated_rows where store = 'archived' order by "row";

insert into certificates (enrollment_id, user_id, course_id, certificate, awarded_at, run_id)
select e.enrollment_id, e.user_id, e.course_id, m.certificate, e.completed_at, $run_id
from enrollments e join migrated_rows m on e.source_row = m."row"
where e.run_id = $run_id and m.certificate is not null;

insert into credits (enrollment_id, user_id, course_id, credits, run_id)
select e.enrollment_id, e.user_id, e.course_id, m.credits, $run_id
from enrollments e join migrated_rows m on e.source_row = m."row"
where e.run_id = $run_id and m.credits is not null;

insert into badges (enrollment_id, user_id, course_id, badge, run_id)
select e.enrollment_id, e.user_id, e.course_id, m.badge, $run_id
from enrollments e join migrated_rows m on e.source_row = m."row"
where e.run_id = $run_id and m.badge is not null;
