-- Rows as F3 (izpoChatBackend@a3d2a86, the last one deployed) wrote them (timestamps and passwords as
-- in flask_f1_rows.sql). F3 has no route that creates a room other than a conversation:
-- POST /api/conversations/initiate makes Room(name='Chat entre A y B') (is_private TRUE by the model's
-- default, no creator kept) with both users as members. Rooms 1 and 3 are the same pair: two initiate
-- calls racing (find_private_conversation found none for either).
INSERT INTO users (id, username, email, password_hash, full_name, created_at) VALUES
  (1, 'ana', 'ana@example.com', 'pbkdf2:sha256:600000$puN4ZovZFiBgmn4s$876bf6ae41696dded8d5333a533a43431855965044e472b1c9a72b04e6241821', 'Ana Ruiz', '2025-09-20 10:00:00.123456'),
  (2, 'beto', 'beto@example.com', 'scrypt:32768:8:1$Y25gDCLyDNsBCpNb$c7d5448ec33f4a8c351f6a07a2c56bae56916ca7200155bf3dfe915b52753ac871ed80c2c174b9b8664f76f14051edb995bbf304e26b88b573704bc059667cc4', '', '2025-09-20 10:05:00.000000'),
  (3, 'caro', 'caro@example.com', 'pbkdf2:sha256:260000$cjTdRVBqBO11oTDH$ceb1ce83cf1235d1ac7a194d84a662e2db5057c9ff89b72949935b3e71c0c674', '', '2025-09-20 10:06:30.500000'),
  (4, 'dani', 'dani@example.com', 'scrypt:32768:8:1$fEkjmX2y3UpIvPeJ$28a2e36573e9a1b74f357ed4928acc7a3a692fdf412031363ed2dc7869efc23b9bbeaa64f3d031d5a18961a02f84fd3dd17532ed340becf9ddfeee70fa95b77b', '', '2025-09-20 10:07:00.000001');
INSERT INTO rooms (id, name, is_private, created_at) VALUES
  (1, 'Chat entre ana y beto', TRUE, '2025-09-26 11:00:00.000000'),
  (2, 'Chat entre caro y ana', TRUE, '2025-09-26 11:05:00.000000'),
  (3, 'Chat entre ana y beto', TRUE, '2025-09-26 11:00:00.004000'),
  (4, 'Chat entre beto y dani', TRUE, '2025-09-26 11:10:00.000000');
INSERT INTO room_members (user_id, room_id) VALUES (1, 1), (2, 1), (3, 2), (1, 2), (1, 3), (2, 3), (2, 4), (4, 4);
-- send_message (Socket.IO): content, user_id, room_id; created_at by the model's default.
INSERT INTO messages (id, content, user_id, room_id, created_at) VALUES
  (1, 'hola beto', 1, 1, '2025-09-26 11:01:00.100000'),
  (2, 'qué tal', 2, 1, '2025-09-26 11:01:00.900000'),
  (3, 'hola ana', 3, 2, '2025-09-26 11:06:00.000000'),
  (4, 'duplicada', 1, 3, '2025-09-26 11:02:00.000000');
