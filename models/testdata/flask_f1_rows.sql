-- Rows as F1 (izpoChatBackend@3b446cd) wrote them. Timestamps are naive UTC (datetime.utcnow),
-- as SQLAlchemy stores DATETIME on SQLite ('YYYY-MM-DD HH:MM:SS.ffffff') and TIMESTAMP on PostgreSQL.
-- /api/users/register: full_name defaults to ''. Passwords: <username>-old-pass; ana pbkdf2:sha256:600000,
-- beto and dani scrypt, caro pbkdf2:sha256:260000 (flask_hashes.txt, by gen_flask_fixtures.py).
INSERT INTO users (id, username, email, password_hash, full_name, created_at) VALUES
  (1, 'ana', 'ana@example.com', 'pbkdf2:sha256:600000$puN4ZovZFiBgmn4s$876bf6ae41696dded8d5333a533a43431855965044e472b1c9a72b04e6241821', 'Ana Ruiz', '2025-09-20 10:00:00.123456'),
  (2, 'beto', 'beto@example.com', 'scrypt:32768:8:1$Y25gDCLyDNsBCpNb$c7d5448ec33f4a8c351f6a07a2c56bae56916ca7200155bf3dfe915b52753ac871ed80c2c174b9b8664f76f14051edb995bbf304e26b88b573704bc059667cc4', '', '2025-09-20 10:05:00.000000'),
  (3, 'caro', 'caro@example.com', 'pbkdf2:sha256:260000$cjTdRVBqBO11oTDH$ceb1ce83cf1235d1ac7a194d84a662e2db5057c9ff89b72949935b3e71c0c674', '', '2025-09-20 10:06:30.500000'),
  (4, 'dani', 'dani@example.com', 'scrypt:32768:8:1$fEkjmX2y3UpIvPeJ$28a2e36573e9a1b74f357ed4928acc7a3a692fdf412031363ed2dc7869efc23b9bbeaa64f3d031d5a18961a02f84fd3dd17532ed340becf9ddfeee70fa95b77b', '', '2025-09-20 10:07:00.000001');
-- POST /api/rooms: description defaults to '', created_by is the caller. Room 3's name is 100 characters.
INSERT INTO rooms (id, name, description, created_by, created_at) VALUES
  (1, 'General', 'Sala general', 1, '2025-09-21 09:00:00.000000'),
  (2, 'Random', '', 2, '2025-09-21 09:30:00.000000'),
  (3, 'Sala 00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000', '', 3, '2025-09-21 09:45:00.000000');
-- send_message (Socket.IO) and /api/upload (a message '📎 Archivo: <name>' with the Supabase URL).
INSERT INTO messages (id, content, user_id, room_id, file_url, created_at) VALUES
  (1, 'Hola a todos', 1, 1, NULL, '2025-09-21 09:01:00.250000'),
  (2, 'Hola Ana', 2, 1, NULL, '2025-09-21 09:01:00.750000'),
  (3, '📎 Archivo: plan.pdf', 1, 1, 'https://proj.supabase.co/storage/v1/object/public/uploads/5b1d2c1e-7a0f-4f55-9a55-0d6f3c2b9e11_plan.pdf', '2025-09-21 09:02:00.000000'),
  (4, 'Aquí random', 3, 2, NULL, '2025-09-21 09:31:00.000000');
INSERT INTO file_uploads (id, filename, original_filename, file_size, content_type, file_url, user_id, room_id, created_at) VALUES
  (1, '5b1d2c1e-7a0f-4f55-9a55-0d6f3c2b9e11_plan.pdf', 'plan.pdf', 2048, 'application/pdf', 'https://proj.supabase.co/storage/v1/object/public/uploads/5b1d2c1e-7a0f-4f55-9a55-0d6f3c2b9e11_plan.pdf', 1, 1, '2025-09-21 09:01:59.900000');
