-- A learning-paths file replaces the portal's paths (INTERFACES.md, "Portal files"); its course
-- names are matched to courses case-insensitively, as the migration file's are.
delete from learning_paths;

insert into learning_paths (learning_path, course_id)
select distinct s.learning_path, c.course_id
from staged_learning_paths s
join courses c on lower(c.name) = lower(s.course_name);
