-- One learner's training history, live and archived, as the platform's download gives it.
select h.email as "Login ID", h.course_name as "Course Name", h.status as "Enrollment Status",
    -- a whole score reads as 90, not 90.0
    case when h.score = trunc(h.score) then cast(cast(h.score as bigint) as varchar)
         else cast(h.score as varchar) end as "Enrollment Score",
    strftime(h.created_at, '%d/%m/%Y') as "Enrollment Created Date",
    strftime(h.started_at, '%d/%m/%Y') as "Enrollment Started Date",
    strftime(h.completed_at, '%d/%m/%Y') as "Enrollment Completed Date",
    h.store as "Store"
from training_history h
where lower(h.email) = lower($login_id) or lower(h.username) = lower($login_id)
order by h.completed_at nulls last, h.created_at, h.course_name
