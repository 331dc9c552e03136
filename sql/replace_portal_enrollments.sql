-- The portal's own enrollments (run_id null) are replaced by the file's: loading again never
-- duplicates them, and rows that migrations added are left alone.
delete from enrollments where run_id is null;

insert into enrollments (
    user_id, course_id, status, score, created_at, started_at, completed_at, access_expires_at,
    run_id, source_row
)
select
    user_id, course_id, status, score, created_at, started_at, completed_at, access_expires_at,
    null, "row"
from staged_enrollments
order by "row";
