-- Per learning path holding a course that receives archived completions: how many learners and
-- rows (archived completions do not count toward a path), and which of its courses.
select
    p.learning_path as name,
    count(distinct m.user_id) as learners,
    count(*) as rows,
    list(distinct c.name order by c.name) as courses
from migrated_rows m
join learning_paths p using (course_id)
join courses c using (course_id)
where m.store = 'archived'
group by p.learning_path
order by p.learning_path
