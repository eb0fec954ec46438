package handlers

// Schemas of the contract's objects (CLIENT_CONTRACT.md, "Objects").

func str() obj     { return obj{"type": "string"} }
func integer() obj { return obj{"type": "integer", "format": "int64"} }
func boolean() obj { return obj{"type": "boolean"} }
func datetime() obj {
	return obj{"type": "string", "format": "date-time", "examples": []string{"2026-01-02T03:04:05.123456Z"}}
}

func nullable(t string) obj { return obj{"type": []string{t, "null"}} }

func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func apiSchemas() obj {
	return obj{
		"Error": object([]string{"error", "detail"}, obj{
			"error":  obj{"type": "string", "description": "What went wrong (read by Flask-generation clients)."},
			"detail": obj{"type": "string", "description": "The same text (read by FastAPI-generation clients)."},
		}),
		"User": object([]string{"id", "username", "full_name", "created_at"}, obj{
			"id": integer(), "username": str(), "full_name": str(), "created_at": datetime(),
		}),
		"UserSelf": object([]string{"id", "username", "email", "full_name", "created_at"}, obj{
			"id": integer(), "username": str(), "email": obj{"type": "string", "format": "email"},
			"full_name": str(), "created_at": datetime(),
		}),
		"UserRef": object([]string{"id", "username", "full_name"}, obj{
			"id": integer(), "username": str(), "full_name": str(),
		}),
		"Room": object([]string{"id", "name", "description", "is_private", "created_at", "created_by", "creator", "member_count", "members",
			"owner_id", "owner", "updated_at"}, obj{
			"id": integer(), "name": str(), "description": str(), "is_private": boolean(), "created_at": datetime(),
			"created_by":   obj{"type": []string{"integer", "null"}, "description": "null when unknown (rooms of the Flask generation that kept no creator)."},
			"creator":      obj{"oneOf": []obj{ref("UserRef"), {"type": "null"}}},
			"member_count": obj{"type": "integer", "description": "Exact number of members."},
			"members":      obj{"type": "array", "items": ref("User"), "description": "May be capped for large public rooms."},
			"owner_id":     obj{"type": []string{"integer", "null"}, "description": "Same as created_by (FastAPI generation's name); null when the database does not know the creator."},
			"owner":        obj{"oneOf": []obj{ref("UserRef"), {"type": "null"}}, "description": "Same as creator (FastAPI generation's name)."},
			"updated_at": obj{"type": "string", "format": "date-time", "description": "When the room's newest message was posted; " +
				"created_at when it has none (room edits are not recorded)."},
		}),
		"Message": object([]string{"id", "content", "user_id", "username", "room_id", "created_at", "file_url", "file_id", "sender", "sender_id", "room"}, obj{
			"id": integer(), "type": obj{"type": "string", "const": "message"}, "content": str(),
			"user_id": integer(), "username": str(), "room_id": integer(),
			"created_at": datetime(), "timestamp": obj{"type": "string", "format": "date-time", "description": "Same as created_at."},
			"file_url": fileURLDoc(nullable("string")), "file_id": nullable("integer"),
			"file": obj{"allOf": []obj{ref("File")}, "description": "Present when the message carries a file, in history as live: " +
				"the file's row (found by file_id, or for messages of older generations by the stored name in file_url)."},
			"sender_id": obj{"type": "integer", "description": "Same as user_id (FastAPI generation's name)."},
			"room":      obj{"allOf": []obj{ref("RoomRef")}, "description": "The room's id and name (FastAPI generation's form)."},
			"sender":    ref("UserRef"),
		}),
		"RoomRef": object([]string{"id", "name"}, obj{"id": integer(), "name": str()}),
		"File": object([]string{"id", "filename", "original_filename", "file_size", "content_type", "file_url", "public_url", "user_id", "room_id", "created_at"}, obj{
			"id": integer(), "filename": obj{"type": "string", "description": "Stored name: <uuid>_<safe name>."},
			"original_filename": str(), "file_size": integer(), "content_type": str(),
			"file_url": fileURLDoc(str()), "public_url": obj{"type": "string", "description": "Same as file_url."},
			"user_id": integer(), "room_id": nullable("integer"), "created_at": datetime(),
		}),
		"UploadResult": obj{"allOf": []obj{ref("File"), object(nil, obj{
			"message": str(), "message_id": nullable("integer"),
		})}},
		"AuthResult": object([]string{"message", "access_token", "token_type", "user_id", "user"}, obj{
			"message": str(), "access_token": str(), "token_type": obj{"type": "string", "const": "bearer"},
			"user_id": integer(), "user": ref("UserSelf"),
		}),
		"RegisterRequest": object([]string{"username", "email", "password"}, obj{
			"username":  obj{"type": "string", "minLength": 3, "maxLength": 50, "pattern": "^[A-Za-z0-9_.-]+$"},
			"email":     obj{"type": "string", "format": "email", "maxLength": 120},
			"password":  obj{"type": "string", "minLength": 6, "maxLength": 128},
			"full_name": obj{"type": "string", "maxLength": 100},
		}),
		"LoginRequest": obj{
			"type": "object", "required": []string{"password"},
			"description": "Either email or username, with the password.",
			"properties":  obj{"email": str(), "username": str(), "password": str()},
		},
		"UpdateMeRequest": obj{
			"type": "object",
			"description": "Only the fields given change. Changing password or email (to anything other than the " +
				"current value) needs current_password: missing 400, wrong 403. A password change ends every " +
				"token issued before it (the caller's too); the answer carries the replacement.",
			"properties": obj{
				"username": str(), "email": str(), "full_name": str(),
				"password":         obj{"type": "string", "minLength": 6, "maxLength": 128},
				"current_password": obj{"type": "string", "description": "The password now; needed to change password or email."},
			},
		},
		"UpdateMeResult": obj{"allOf": []obj{ref("UserSelf"), object(nil, obj{
			"access_token": obj{"type": "string", "description": "Only after a password change: the token replacing the caller's."},
			"token_type":   obj{"type": "string", "const": "bearer"},
		})}},
		"RoomRequest": object([]string{"name"}, obj{
			"name": roomNameDoc(), "description": str(), "is_private": boolean(),
		}),
		"RoomUpdate": object(nil, obj{
			"name": roomNameDoc(), "description": str(), "is_private": boolean(),
		}),
		"MessageRequest": object(nil, obj{
			"content": obj{"type": "string", "description": "Required unless file_id is given; at most MAX_MESSAGE_LENGTH."},
			"file_id": nullable("integer"),
		}),
		"RecipientRequest": object([]string{"recipient_id"}, obj{"recipient_id": integer()}),
		"RoomResult":       object([]string{"message", "room_id"}, obj{"message": str(), "room_id": integer()}),
		"ConversationStart": obj{"allOf": []obj{ref("Room"), object([]string{"room", "room_id", "message", "status"}, obj{
			"room": ref("Room"), "room_id": integer(), "message": str(),
			"status": obj{"enum": []string{"new_conversation", "existing_conversation"}},
		})}},
		"ConversationInitiate": obj{"allOf": []obj{ref("Room"), object([]string{"room_id", "status"}, obj{
			"room_id": integer(), "status": obj{"enum": []string{"created", "existing"}},
		})}},
		"Conversation": object([]string{"room_id", "other_user", "last_message"}, obj{
			"room_id":    integer(),
			"other_user": obj{"oneOf": []obj{ref("UserRef"), {"type": "null"}}},
			"last_message": obj{"oneOf": []obj{object([]string{"content", "created_at"}, obj{
				"content": str(), "created_at": datetime(),
			}), {"type": "null"}}},
		}),
		"LiveAccessEnded": object([]string{"message", "code", "reason"}, obj{
			"type":    obj{"const": "error", "description": "On `/rooms/<id>` and the raw WebSocket."},
			"message": str(),
			"code":    obj{"enum": []string{"access_revoked", "session_ended"}},
			"room_id": obj{"type": "integer", "description": "The room access to which ended (absent when every session ended)."},
			"reason":  obj{"enum": []string{"left", "removed", "room_private", "room_deleted", "user_deleted", "password_changed"}},
		}),
		"OnlineUsers": object([]string{"room_id", "online_users", "count"}, obj{
			"room_id": integer(), "online_users": arrayOf(ref("UserRef")), "count": obj{"type": "integer"},
		}),
		"UploadTypes": object([]string{"extensions", "content_types", "max_file_size", "max_files"}, obj{
			"extensions": arrayOf(str()), "content_types": arrayOf(str()),
			"max_file_size": obj{"type": "integer", "description": "Bytes."}, "max_files": obj{"type": "integer"},
		}),
		"Health": object([]string{"status", "database"}, obj{
			"status":    obj{"enum": []string{"healthy", "degraded", "unhealthy"}},
			"database":  obj{"enum": []string{"connected", "disconnected"}},
			"version":   str(),
			"timestamp": datetime(),
			"checks":    obj{"type": "object", "additionalProperties": obj{"enum": []string{"ok", "down"}}},
			"error":     str(),
		}),
		"Status": object([]string{"status", "version", "websocket_enabled", "timestamp"}, obj{
			"status": obj{"const": "running"}, "version": str(), "websocket_enabled": obj{"const": true}, "timestamp": datetime(),
		}),
		"ServiceInfo": object([]string{"name", "version", "links"}, obj{
			"name": str(), "version": str(),
			"links": obj{"type": "object", "additionalProperties": str()},
		}),
	}
}

// fileURLDoc describes a file link: signed and expiring for a private room's file.
func fileURLDoc(schema obj) obj {
	schema["description"] = "Where the file is read. A private room's file: a link signed for the viewer, " +
		"valid for FILE_URL_TTL (default 7 days); read the view again for a fresh one. Any other file: its stored URL."
	return schema
}

// roomNameDoc is a room name: at most 150 characters, or the narrower width of
// rooms.name in a database taken over from the first Flask generations (100).
func roomNameDoc() obj {
	return obj{"type": "string", "maxLength": 150,
		"description": "At most 150 characters; at most 100 on a database taken over from the first Flask generations (its column is that wide)."}
}
