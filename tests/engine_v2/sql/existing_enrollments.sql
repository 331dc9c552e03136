-- Rows whose enrollment the portal already holds: an open one for an open row, or one with the
-- same status and completion date for a finished row, live or archived, from any origin.
with held as (
    select user_id, course_id, status, cast(completed_at as date) as completed_on from enrollments
    union all
    select user_id, course_id, status, cast(completed_at as date) from archived_enrollments
)
select c."row", min(h.status) as held_status
from candidate_rows c
join held h
  on h.user_id = c.user_id
 and h.course_id = c.course_id
 and (
      (c.status in ('Not Started', 'In Progress') and h.status in ('Not Started', 'In Progress'))
   or (c.status = h.status and c.completed = h.completed_on)
 )
group by c."row"
