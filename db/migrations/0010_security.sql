-- Usernames are unique without regard to case: `Admin` and `admin` cannot both exist (one could pose as
-- the other). An install that already has such a pair keeps the older account's name and renames the
-- newer one to `<name>-<id>` (the only way the index can be built; its owner logs in with that name).
UPDATE users u SET username = u.username || '-' || u.id
WHERE EXISTS (SELECT 1 FROM users o WHERE lower(o.username) = lower(u.username) AND o.id < u.id);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));

-- Every session token carries the version it was issued under; a password change, disabling and an
-- admin's change of rights raise it, which revokes every earlier token of that user.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
