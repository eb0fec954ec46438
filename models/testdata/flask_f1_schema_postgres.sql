-- IzpoChatTeam/izpoChatBackend@3b446cd models.py: what db.create_all() creates on postgres.
-- Written by gen_flask_fixtures.py (SQLAlchemy create_all through a mock engine); do not edit.
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
	name VARCHAR(100) NOT NULL, 
	description TEXT, 
	created_by INTEGER NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(created_by) REFERENCES users (id)
);
CREATE TABLE messages (
	id SERIAL NOT NULL, 
	content TEXT NOT NULL, 
	user_id INTEGER NOT NULL, 
	room_id INTEGER NOT NULL, 
	file_url VARCHAR(500), 
	created_at TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id), 
	FOREIGN KEY(room_id) REFERENCES rooms (id)
);
CREATE TABLE file_uploads (
	id SERIAL NOT NULL, 
	filename VARCHAR(255) NOT NULL, 
	original_filename VARCHAR(255) NOT NULL, 
	file_size INTEGER, 
	content_type VARCHAR(100), 
	file_url VARCHAR(500) NOT NULL, 
	user_id INTEGER NOT NULL, 
	room_id INTEGER, 
	created_at TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id), 
	FOREIGN KEY(room_id) REFERENCES rooms (id)
);
