package wstransport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	ws "github.com/gorilla/websocket"
)

// Opcodes and header bits of client->server frames (RFC 6455 section 5.2)
// not already named for the writer.
const (
	opContinuation byte = 0x0
	opClose        byte = 0x8
	opPing         byte = 0x9
	opPong         byte = 0xA
	rsvBits        byte = 0x70
	maskBit        byte = 0x80
	// maxControlPayload is the largest payload a control frame may carry.
	maxControlPayload = 125
	// maxFrameLength keeps a declared length (with its header) an int even
	// with no limit set.
	maxFrameLength = math.MaxInt32
)

// frameError is a violation of the protocol by the client: the connection is
// closed with code.
type frameError struct {
	code   int
	reason string
}

func (e *frameError) Error() string { return fmt.Sprintf("websocket protocol: %s", e.reason) }

func protocolError(reason string) error {
	return &frameError{code: ws.CloseProtocolError, reason: reason}
}

// errPeerClosed reports a close frame from the client: an ordinary end.
var errPeerClosed = errors.New("websocket closed by peer")

// inboundHandler receives what the parser finds. Payloads alias the read
// buffer: they are valid only during the call.
type inboundHandler interface {
	onMessage(opcode byte, payload []byte)
	onControl(opcode byte, payload []byte) error
}

// inbound parses client frames. It keeps state only while a frame or a
// fragmented message is incomplete, so an idle connection holds no buffer.
type inbound struct {
	// limit is the largest message accepted (0: no limit).
	limit int64
	// msg holds the fragments of a message whose final frame has not arrived.
	msg []byte
	// msgOp is the opcode of that message (0 when none is in progress).
	msgOp byte
}

// parse consumes every complete frame at the start of b and returns how many
// bytes it consumed and, when the frame that follows is incomplete, how many
// bytes that frame needs in all (so the caller can size its buffer). Client
// frames are unmasked in place.
func (in *inbound) parse(b []byte, h inboundHandler) (consumed, need int, err error) {
	for {
		rest := b[consumed:]
		if len(rest) < 2 {
			return consumed, 2, nil
		}
		b0, b1 := rest[0], rest[1]
		if b0&rsvBits != 0 {
			return consumed, 0, protocolError("reserved bits set (no extension was negotiated)")
		}
		if b1&maskBit == 0 {
			return consumed, 0, protocolError("client frame not masked")
		}
		header := 2 + 4
		length := uint64(b1 & 0x7F)
		switch length {
		case 126:
			header += 2
			if len(rest) < header {
				return consumed, header, nil
			}
			length = uint64(binary.BigEndian.Uint16(rest[2:4]))
		case 127:
			header += 8
			if len(rest) < header {
				return consumed, header, nil
			}
			length = binary.BigEndian.Uint64(rest[2:10])
		}
		if len(rest) < header {
			return consumed, header, nil
		}
		opcode, fin := b0&0x0F, b0&finBit != 0
		if err := in.checkFrame(opcode, fin, length); err != nil {
			return consumed, 0, err
		}
		total := header + int(length)
		if len(rest) < total {
			return consumed, total, nil
		}
		payload := rest[header:total]
		unmask(payload, rest[header-4:header])
		consumed += total
		if err := in.deliver(opcode, fin, payload, h); err != nil {
			return consumed, 0, err
		}
	}
}

// checkFrame validates a frame's header before its payload is awaited.
func (in *inbound) checkFrame(opcode byte, fin bool, length uint64) error {
	switch opcode {
	case opClose, opPing, opPong:
		if !fin {
			return protocolError("fragmented control frame")
		}
		if length > maxControlPayload {
			return protocolError("control frame payload too long")
		}
		return nil
	case opContinuation:
		if in.msgOp == 0 {
			return protocolError("continuation frame without a message")
		}
	case opText, opBinary:
		if in.msgOp != 0 {
			return protocolError("new message before the previous one ended")
		}
	default:
		return protocolError(fmt.Sprintf("unknown opcode %d", opcode))
	}
	// Compared without adding to the declared length: a 64-bit length near
	// 2^64 would wrap the sum around and pass (found by FuzzInboundParse).
	held := uint64(len(in.msg))
	if in.limit > 0 && (length > uint64(in.limit) || held > uint64(in.limit)-length) {
		return &frameError{code: ws.CloseMessageTooBig, reason: fmt.Sprintf("message larger than %d bytes", in.limit)}
	}
	if length > maxFrameLength {
		return &frameError{code: ws.CloseMessageTooBig, reason: "frame length out of range"}
	}
	return nil
}

func (in *inbound) deliver(opcode byte, fin bool, payload []byte, h inboundHandler) error {
	switch {
	case opcode >= opClose:
		return h.onControl(opcode, payload)
	case fin && opcode != opContinuation:
		h.onMessage(opcode, payload)
	case !fin && opcode != opContinuation:
		in.msgOp = opcode
		in.msg = append([]byte(nil), payload...)
	default: // continuation
		in.msg = append(in.msg, payload...)
		if fin {
			op, msg := in.msgOp, in.msg
			in.msgOp, in.msg = 0, nil
			h.onMessage(op, msg)
		}
	}
	return nil
}

// unmask applies the client's masking key (RFC 6455 section 5.3).
func unmask(payload, key []byte) {
	for i := range payload {
		payload[i] ^= key[i&3]
	}
}
