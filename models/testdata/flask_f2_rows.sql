-- Rows as F2 (izpoChatBackend@e51fe89) wrote them (timestamps and passwords as in flask_f1_rows.sql).
INSERT INTO users (id, username, email, password_hash, full_name, created_at) VALUES
  (1, 'ana', 'ana@example.com', 'pbkdf2:sha256:600000$puN4ZovZFiBgmn4s$876bf6ae41696dded8d5333a533a43431855965044e472b1c9a72b04e6241821', 'Ana Ruiz', '2025-09-20 10:00:00.123456'),
  (2, 'beto', 'beto@example.com', 'scrypt:32768:8:1$Y25gDCLyDNsBCpNb$c7d5448ec33f4a8c351f6a07a2c56bae56916ca7200155bf3dfe915b52753ac871ed80c2c174b9b8664f76f14051edb995bbf304e26b88b573704bc059667cc4', '', '2025-09-20 10:05:00.000000'),
  (3, 'caro', 'caro@example.com', 'pbkdf2:sha256:260000$cjTdRVBqBO11oTDH$ceb1ce83cf1235d1ac7a194d84a662e2db5057c9ff89b72949935b3e71c0c674', '', '2025-09-20 10:06:30.500000'),
  (4, 'dani', 'dani@example.com', 'scrypt:32768:8:1$fEkjmX2y3UpIvPeJ$28a2e36573e9a1b74f357ed4928acc7a3a692fdf412031363ed2dc7869efc23b9bbeaa64f3d031d5a18961a02f84fd3dd17532ed340becf9ddfeee70fa95b77b', '', '2025-09-20 10:07:00.000001');
-- POST /api/rooms: is_private takes the model's default, TRUE, and nobody is made a member (not even the
-- creator); GET /api/rooms listed every room and history was served without a membership check.
-- POST /api/conversations: a private room named 'Conversación entre A y B' with both users as members.
INSERT INTO rooms (id, name, description, is_private, created_by, created_at) VALUES
  (1, 'General', 'Sala general', TRUE, 1, '2025-09-21 09:00:00.000000'),
  (2, 'Proyecto', '', TRUE, 2, '2025-09-21 09:30:00.000000'),
  (3, 'Conversación entre ana y beto', 'Conversación privada entre Ana Ruiz y beto', TRUE, 1, '2025-09-22 08:00:00.000000'),
  (4, 'Conversación entre caro y ana', 'Conversación privada entre caro y Ana Ruiz', TRUE, 3, '2025-09-22 08:10:00.000000'),
  (5, 'Vacía', '', TRUE, 4, '2025-09-22 08:20:00.000000');
INSERT INTO room_members (user_id, room_id, joined_at) VALUES
  (1, 3, '2025-09-22 08:00:00.000100'), (2, 3, '2025-09-22 08:00:00.000100'),
  (3, 4, '2025-09-22 08:10:00.000100'), (1, 4, '2025-09-22 08:10:00.000100');
INSERT INTO messages (id, content, user_id, room_id, file_url, created_at) VALUES
  (1, 'Bienvenidos', 1, 1, NULL, '2025-09-21 09:01:00.250000'),
  (2, 'Gracias', 2, 1, NULL, '2025-09-21 09:01:00.750000'),
  (3, 'Empiezo el proyecto', 2, 2, NULL, '2025-09-21 09:31:00.000000'),
  (4, 'Me apunto', 3, 2, NULL, '2025-09-21 09:32:00.000000'),
  (5, 'hola beto', 1, 3, NULL, '2025-09-22 08:01:00.000000'),
  (6, 'hola ana', 2, 3, NULL, '2025-09-22 08:02:00.000000'),
  (7, '📎 Archivo: foto.png', 2, 3, 'https://proj.supabase.co/storage/v1/object/public/uploads/0c9e6a52-1d3b-4d8e-b2c4-7f3e0a9d1b22_foto.png', '2025-09-22 08:03:00.000000'),
  (8, 'hey ana', 3, 4, NULL, '2025-09-22 08:11:00.000000');
INSERT INTO file_uploads (id, filename, original_filename, file_size, content_type, file_url, user_id, room_id, created_at) VALUES
  (1, '0c9e6a52-1d3b-4d8e-b2c4-7f3e0a9d1b22_foto.png', 'foto.png', 4096, 'image/png', 'https://proj.supabase.co/storage/v1/object/public/uploads/0c9e6a52-1d3b-4d8e-b2c4-7f3e0a9d1b22_foto.png', 2, 3, '2025-09-22 08:02:59.000000');
