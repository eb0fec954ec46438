-- The schema Flask-SQLAlchemy (db.create_all) created on PostgreSQL.
CREATE TABLE users (
	id SERIAL NOT NULL,
	username VARCHAR(50) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(255) NOT NULL,
	full_name VARCHAR(100),
	created_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id),
	UNIQUE (username),
	UNIQUE (email)
);
CREATE TABLE rooms (
	id SERIAL NOT NULL,
	name VARCHAR(150) NOT NULL,
	description TEXT,
	is_private BOOLEAN,
	created_by INTEGER NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(created_by) REFERENCES users (id)
);
CREATE TABLE room_members (
	user_id INTEGER NOT NULL,
	room_id INTEGER NOT NULL,
	PRIMARY KEY (user_id, room_id),
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE,
	FOREIGN KEY(room_id) REFERENCES rooms (id) ON DELETE CASCADE
);
CREATE TABLE messages (
	id SERIAL NOT NULL,
	content TEXT NOT NULL,
	user_id INTEGER NOT NULL,
	room_id INTEGER NOT NULL,
	file_url VARCHAR(512),
	created_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id),
	FOREIGN KEY(room_id) REFERENCES rooms (id)
);
CREATE INDEX ix_messages_created_at ON messages (created_at);
CREATE TABLE file_uploads (
	id SERIAL NOT NULL,
	filename VARCHAR(255) NOT NULL,
	original_filename VARCHAR(255) NOT NULL,
	file_size INTEGER NOT NULL,
	content_type VARCHAR(100),
	file_url VARCHAR(512) NOT NULL,
	user_id INTEGER NOT NULL,
	room_id INTEGER,
	created_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id),
	FOREIGN KEY(room_id) REFERENCES rooms (id)
);
