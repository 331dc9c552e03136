-- Users are keyed by email, case-insensitively: loading a file again updates them in place.
update users set
    username = s.username,
    first_name = s.first_name,
    last_name = s.last_name,
    login_enabled = s.login_enabled
from staged_users s
where lower(users.email) = lower(s.email);

insert into users (email, username, first_name, last_name, login_enabled)
select s.email, s.username, s.first_name, s.last_name, s.login_enabled
from staged_users s
where not exists (select 1 from users u where lower(u.email) = lower(s.email));
