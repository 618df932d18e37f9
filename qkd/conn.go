package qkd

import (
	"context"
	"errors"
	"sync"
)

// Conn carries messages between Alice and Bob. Send and Recv must be
// safe to call from one goroutine each; both honour ctx.
type Conn interface {
	Send(ctx context.Context, m Message) error
	Recv(ctx context.Context) (Message, error)
}

// ErrClosed is returned by a Pipe end whose peer has closed.
var ErrClosed = errors.New("qkd: connection closed")

// Pipe returns two connected in-memory ends. Messages are passed by
// reference, not encoded; each direction buffers a few messages.
func Pipe() (alice, bob Conn) {
	ab := make(chan Message, 16)
	ba := make(chan Message, 16)
	done := make(chan struct{})
	var once sync.Once
	closeFn := func() { once.Do(func() { close(done) }) }
	return &pipeEnd{in: ba, out: ab, done: done, close: closeFn},
		&pipeEnd{in: ab, out: ba, done: done, close: closeFn}
}

type pipeEnd struct {
	in    <-chan Message
	out   chan<- Message
	done  chan struct{}
	close func()
}

func (p *pipeEnd) Send(ctx context.Context, m Message) error {
	select {
	case p.out <- m:
		return nil
	case <-p.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pipeEnd) Recv(ctx context.Context) (Message, error) {
	select {
	case m := <-p.in:
		return m, nil
	case <-p.done:
		// Deliver what the peer sent before closing.
		select {
		case m := <-p.in:
			return m, nil
		default:
		}
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close closes both ends of the pipe.
func (p *pipeEnd) Close() error {
	p.close()
	return nil
}
