package recovery

import (
	"reflect"
	"unsafe"
)

// keptEntryBytes is what a kept packet costs beyond its data: its ring entry
// and the slice headers of its rooms.
const keptEntryBytes = int(unsafe.Sizeof(keptPacket{}))

// keptSize is about the bytes a kept packet holds, for the recovery buffer's
// byte bound: exact for a frame (nearly every packet), an estimate for the
// rare packet kept as data (binary attachments, readers).
func keptSize(k *keptPacket) int32 {
	n := keptEntryBytes + len(k.frame)
	for _, r := range k.rooms {
		n += len(r)
	}
	for _, r := range k.except {
		n += len(r)
	}
	if k.frame == nil {
		n += dataSize(k.data, 0)
	}
	return int32(min(n, 1<<30))
}

// maxSizeDepth stops dataSize in data nested deeper than events are.
const maxSizeDepth = 8

// dataSize estimates the bytes a kept argument holds: its strings and byte
// slices, and a word for every other value.
func dataSize(v any, depth int) int {
	const word = 16
	if depth > maxSizeDepth {
		return word
	}
	switch v := v.(type) {
	case string:
		return word + len(v)
	case []byte:
		return word + len(v)
	case []any:
		n := word
		for _, item := range v {
			n += dataSize(item, depth+1)
		}
		return n
	case map[string]any:
		n := word
		for key, item := range v {
			n += len(key) + dataSize(item, depth+1)
		}
		return n
	case interface{ Len() int }: // bytes.Reader, strings.Reader, the engine's buffers
		return word + v.Len()
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return word + int(rv.Elem().Type().Size())
	}
	return word
}
