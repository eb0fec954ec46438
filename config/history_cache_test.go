package config

import "testing"

func TestHistoryCacheBounds(t *testing.T) {
	cfg := mustLoad(t, map[string]string{})
	if cfg.HistoryCache.Rooms != DefaultHistoryCacheRooms || cfg.HistoryCache.Bytes != DefaultHistoryCacheMB*megabyte {
		t.Errorf("default HistoryCache = %+v", cfg.HistoryCache)
	}
	cfg = mustLoad(t, map[string]string{"HISTORY_CACHE_ROOMS": "0", "HISTORY_CACHE_MB": "3"})
	if cfg.HistoryCache.Rooms != 0 || cfg.HistoryCache.Bytes != 3*megabyte {
		t.Errorf("HISTORY_CACHE_ROOMS=0 HISTORY_CACHE_MB=3 gave %+v", cfg.HistoryCache)
	}
	for _, bad := range []map[string]string{{"HISTORY_CACHE_ROOMS": "-1"}, {"HISTORY_CACHE_ROOMS": "x"},
		{"HISTORY_CACHE_MB": "0"}, {"HISTORY_CACHE_MB": "lots"}} {
		if _, err := load(t, bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
