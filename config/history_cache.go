package config

// HistoryCache bounds the rendered newest history page kept per room (the page
// the web app polls every few seconds): at most Rooms pages and Bytes bytes of
// them, the least recently read going first.
type HistoryCache struct {
	Rooms int   // HISTORY_CACHE_ROOMS, default 2000; 0 turns the cache off
	Bytes int64 // HISTORY_CACHE_MB, default 64 MiB
}

const (
	DefaultHistoryCacheRooms = 2000
	DefaultHistoryCacheMB    = 64
)

func loadHistoryCache(e *env) (HistoryCache, error) {
	rooms, err := e.nonNegativeInt("HISTORY_CACHE_ROOMS", DefaultHistoryCacheRooms)
	if err != nil {
		return HistoryCache{}, err
	}
	mb, err := e.positiveInt("HISTORY_CACHE_MB", DefaultHistoryCacheMB)
	if err != nil {
		return HistoryCache{}, err
	}
	return HistoryCache{Rooms: rooms, Bytes: int64(mb) * megabyte}, nil
}
