-- Every lower-cased email and username, with how many distinct users answer to it.
with keys as (
    select lower(trim(email)) as login_key, user_id from users
    union
    select lower(trim(username)) as login_key, user_id from users
    where username is not null and trim(username) <> ''
)
select login_key, min(user_id) as user_id, count(distinct user_id) as user_matches
from keys
group by login_key
