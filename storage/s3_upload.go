package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// partBuffers reuses upload buffers between uploads (by size).
var partBuffers sync.Map // int64 -> *sync.Pool of *[]byte

func getPart(size int64) *[]byte {
	p, _ := partBuffers.LoadOrStore(size, &sync.Pool{New: func() any { b := make([]byte, size); return &b }})
	return p.(*sync.Pool).Get().(*[]byte)
}

func putPart(size int64, b *[]byte) {
	if p, ok := partBuffers.Load(size); ok {
		p.(*sync.Pool).Put(b)
	}
}

// upload reads body a part at a time: one part is a PutObject, more a multipart
// upload. Each request carries a seekable part of known length, so the SDK can
// sign its payload and retry it.
func (s *S3) upload(ctx context.Context, key string, body io.Reader, contentType string) error {
	buf := getPart(s.partSize)
	defer putPart(s.partSize, buf)
	disposition := contentDisposition(key, contentType)
	n, err := io.ReadFull(body, *buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &s.bucket, Key: &key, Body: bytes.NewReader((*buf)[:n]), ContentLength: aws.Int64(int64(n)),
			ContentType: &contentType, ContentDisposition: &disposition, CacheControl: aws.String("max-age=3600"),
		})
		return err
	}
	if err != nil {
		return err
	}
	created, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, ContentType: &contentType, ContentDisposition: &disposition, CacheControl: aws.String("max-age=3600"),
	})
	if err != nil {
		return err
	}
	if err := s.uploadParts(ctx, key, created.UploadId, body, *buf, n); err != nil {
		if aerr := s.abort(ctx, key, created.UploadId); aerr != nil {
			return fmt.Errorf("%w (aborting the multipart upload failed too: %v)", err, aerr)
		}
		return err
	}
	return nil
}

// uploadParts sends the part already in buf[:n], then the rest of body, and completes.
func (s *S3) uploadParts(ctx context.Context, key string, uploadID *string, body io.Reader, buf []byte, n int) error {
	var parts []types.CompletedPart
	for number := int32(1); ; number++ {
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &s.bucket, Key: &key, UploadId: uploadID, PartNumber: aws.Int32(number),
			Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return fmt.Errorf("part %d: %w", number, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
		n, err = io.ReadFull(body, buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
	}
	_, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, UploadId: uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	return err
}

// abort drops a multipart upload's stored parts, even when ctx is done (the
// client left, or our deadline passed).
func (s *S3) abort(ctx context.Context, key string, uploadID *string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &key, UploadId: uploadID})
	return err
}
