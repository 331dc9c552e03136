-- Views for analysts, in the tool's state and in the published catalog alike.
create or replace view training_history as
select e.enrollment_id, e.user_id, u.email, u.username, e.course_id, c.name as course_name,
    e.status, e.score, e.created_at, e.started_at, e.completed_at, e.access_expires_at,
    e.run_id, e.source_row, 'live' as store
from enrollments e join users u using (user_id) join courses c using (course_id)
union all
select a.enrollment_id, a.user_id, u.email, u.username, a.course_id, c.name as course_name,
    a.status, a.score, a.created_at, a.started_at, a.completed_at, a.access_expires_at,
    a.run_id, a.source_row, 'archived' as store
from archived_enrollments a join users u using (user_id) join courses c using (course_id);

create or replace view completions_by_year as
select year(completed_at) as year, course_name, store, status, count(*) as completions
from training_history
where status in ('Completed', 'Passed', 'Failed')
group by all
order by year, course_name, store, status;
