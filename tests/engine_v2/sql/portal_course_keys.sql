-- Every course name as the template matches it (trimmed, case-insensitive), with its settings.
select
    lower(trim(name)) as course_key,
    min(course_id) as course_id,
    count(*) as course_matches,
    bool_and(published) as course_published
from courses
group by course_key
