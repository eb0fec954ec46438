package handlers

// The documentation of message search (issue 23.7): its operation, its tag and
// the SearchHit schema (a Message with its excerpt).

func searchTag() obj {
	return obj{"name": "search", "description": "Full-text search of messages. Only the rooms the caller may read are searched " +
		"(public rooms and the private rooms and conversations they are a member of), decided on every search; " +
		"deleted messages are never found, an edited one only by its current text. A message matches when it contains every word of `q` " +
		"(whole words, case and accents ignored: `cancion` finds `Canción`; no stemming, so Spanish and English are treated alike). " +
		"Each hit is a Message with `excerpt`: the part of its text around the first match, HTML-escaped, every match wrapped in " +
		"`<mark>` … `</mark>` and nothing else, with `…` where the text was cut. Setting it as HTML is safe; a client that renders text " +
		"splits on the two tags and unescapes the rest. Page with `before_id` = the last hit's id. Rate limited per user (SEARCH_RATE_PER_USER)."}
}

func searchOperations() []operation {
	return []operation{
		{method: "GET", path: "/api/search/messages", tag: "search", summary: "Search the messages of the rooms the caller may read, newest first", auth: authRequired,
			params: []obj{
				{"name": "q", "in": "query", "required": true, "description": "The words to find, all of them (at most 200 characters and 8 words).",
					"schema": obj{"type": "string", "minLength": 1, "maxLength": 200}},
				queryParam("room_id", "Search this room only (403/404 as its history would answer)", obj{"type": "integer", "minimum": 1}),
				queryParam("limit", "At most this many hits (default 20, at most 50)", obj{"type": "integer", "minimum": 0, "maximum": 50}),
				queryParam("before_id", "Only messages older than this id: the last hit's id gives the next page", obj{"type": "integer", "minimum": 0}),
			},
			responses: responses(obj{"200": ok("The hits, newest first", arrayOf(ref("SearchHit")))}, 400, 403, 404, 429)},
	}
}

// withSearchSchemas adds SearchHit to schemas.
func withSearchSchemas(schemas obj) obj {
	schemas["SearchHit"] = obj{"allOf": []obj{ref("Message"), object([]string{"excerpt"}, obj{
		"excerpt": obj{"type": "string", "description": "HTML-escaped text around the first match; matches in <mark>…</mark>, no other markup."},
	})}}
	return schemas
}
