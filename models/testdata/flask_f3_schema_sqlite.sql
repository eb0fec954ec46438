-- IzpoChatTeam/izpoChatBackend@a3d2a86 models.py: what db.create_all() creates on sqlite.
-- Written by gen_flask_fixtures.py (SQLAlchemy create_all through a mock engine); do not edit.
CREATE TABLE users (
	id INTEGER NOT NULL, 
	username VARCHAR(50) NOT NULL, 
	email VARCHAR(120) NOT NULL, 
	password_hash VARCHAR(255) NOT NULL, 
	full_name VARCHAR(100), 
	created_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (email)
);
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE TABLE rooms (
	id INTEGER NOT NULL, 
	name VARCHAR(150) NOT NULL, 
	is_private BOOLEAN NOT NULL, 
	created_at DATETIME, 
	PRIMARY KEY (id)
);
CREATE TABLE room_members (
	user_id INTEGER NOT NULL, 
	room_id INTEGER NOT NULL, 
	PRIMARY KEY (user_id, room_id), 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	FOREIGN KEY(room_id) REFERENCES rooms (id) ON DELETE CASCADE
);
CREATE TABLE messages (
	id INTEGER NOT NULL, 
	content TEXT NOT NULL, 
	user_id INTEGER NOT NULL, 
	room_id INTEGER NOT NULL, 
	file_url VARCHAR(512), 
	created_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id), 
	FOREIGN KEY(room_id) REFERENCES rooms (id)
);
CREATE INDEX ix_messages_created_at ON messages (created_at);
