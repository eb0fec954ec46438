-- The Flask generation F2 created every room private by default without making
-- anyone a member (not even its creator), and served history without looking at
-- membership. A private room that no one belongs to (never the case for a room
-- this server made) gets its creator and everyone who wrote in it as members, so
-- the people who used it keep it, and it stays private.

-- +goose Up
INSERT INTO room_members (user_id, room_id)
SELECT r.created_by, r.id FROM rooms r
WHERE r.created_by IS NOT NULL AND COALESCE(r.is_private, false) = true AND r.dm_key IS NULL
  AND NOT EXISTS (SELECT 1 FROM room_members x WHERE x.room_id = r.id)
UNION
SELECT m.user_id, r.id FROM messages m JOIN rooms r ON r.id = m.room_id
WHERE COALESCE(r.is_private, false) = true AND r.dm_key IS NULL
  AND NOT EXISTS (SELECT 1 FROM room_members x WHERE x.room_id = r.id);

-- +goose Down
-- Additive only: the memberships stay.
