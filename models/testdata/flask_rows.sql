-- Rows as the Flask backend wrote them (naive UTC timestamps, NULL optional fields).
-- Passwords: olga = "old-pbkdf2-pass", sven = "old-scrypt-pass" (hashes from Python hashlib,
-- in Werkzeug's format).
INSERT INTO users (id, username, email, password_hash, full_name, created_at) VALUES
  (1, 'olga', 'olga@example.com', 'pbkdf2:sha256:50000$Xk3pQ9zL$161dffaa1ee57f3b83d53de60a3a761bd368bcd4d1014ee07f214faa03a900b7', 'Olga Old', '2024-03-01 10:20:30.123456'),
  (2, 'sven', 'sven@example.com', 'scrypt:32768:8:1$aB7dE2fG$9553c259b13b8a927cea031e824f95071c5c6fb256539b6a4f9c3aaf6c93b9c4fe0e465600e66d4847f07a79aaaa000e65db7b36e504425aacdb940eb8ebd877', NULL, '2024-03-02 08:00:00'),
  (3, 'tina', 'tina@example.com', 'pbkdf2:sha256:50000$Xk3pQ9zL$161dffaa1ee57f3b83d53de60a3a761bd368bcd4d1014ee07f214faa03a900b7', 'Tina T', '2024-03-03 09:15:00.5');
INSERT INTO rooms (id, name, description, is_private, created_by, created_at) VALUES
  (1, 'General', 'Everyone', false, 1, '2024-03-01 11:00:00'),
  (2, 'Olga & Sven', NULL, true, 1, '2024-03-02 12:00:00'),
  (3, 'Legacy', NULL, NULL, 3, '2024-03-03 12:00:00');
INSERT INTO room_members (user_id, room_id) VALUES (1, 1), (2, 1), (1, 2), (2, 2), (3, 3);
INSERT INTO messages (id, content, user_id, room_id, file_url, created_at) VALUES
  (1, 'hola a todos', 1, 1, NULL, '2024-03-01 11:05:00.000001'),
  (2, 'hi olga', 2, 1, NULL, '2024-03-01 11:06:00'),
  (3, '📎 Archivo: plan.pdf', 1, 2, '/uploads/abc_plan.pdf', '2024-03-02 12:01:00'),
  (4, 'just between us', 2, 2, NULL, '2024-03-02 12:02:00');
INSERT INTO file_uploads (id, filename, original_filename, file_size, content_type, file_url, user_id, room_id, created_at) VALUES
  (1, 'abc_plan.pdf', 'plan.pdf', 1234, 'application/pdf', '/uploads/abc_plan.pdf', 1, 2, '2024-03-02 12:00:59'),
  (2, 'def_notes.txt', 'notes.txt', 10, 'text/plain', '/uploads/def_notes.txt', 2, NULL, '2024-03-02 12:03:00');
