package transport

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"io"
	"net"
	"testing"
)

// Benchmarks measure the transport against a baseline in the same run:
// a bare TLS 1.3 handshake (same key exchange, same certificate type) and
// bare TLS writes.
//
//	go test -run '^$' -bench . -count 5 ./transport

// benchListener serves every session by draining both channels until the
// peer leaves.
func benchListener(b *testing.B, cfg Config) *Listener {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	l, err := Listen(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			s, err := l.Accept(ctx)
			if s != nil {
				go func() {
					defer s.Close()
					go func() {
						for {
							if _, err := s.RecvQuantum(ctx); err != nil {
								return
							}
						}
					}()
					for {
						if _, err := s.Recv(ctx); err != nil {
							return
						}
					}
				}()
			}
			if err != nil && ctx.Err() != nil {
				return
			}
		}
	}()
	return l
}

func BenchmarkHandshake(b *testing.B) {
	b.Run("baseline=tls13", func(b *testing.B) {
		cert, err := ephemeralCertificate()
		if err != nil {
			b.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					tc := tls.Server(c, serverTLSConfig(cert))
					tc.Handshake()
					io.Copy(io.Discard, tc)
					tc.Close()
				}()
			}
		}()
		for b.Loop() {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			tc := tls.Client(c, clientTLSConfig())
			if err := tc.Handshake(); err != nil {
				b.Fatal(err)
			}
			tc.Close()
		}
	})
	b.Run("pinned", func(b *testing.B) {
		lp := &PinSet{}
		lp.Pin("Alice", "patient", testKey("Alice").Public().(ed25519.PublicKey))
		lcfg := testConfig("Hospital", "hospital", testCode)
		lcfg.Pins = lp
		l := benchListener(b, lcfg)
		dcfg := testConfig("Alice", "patient", "")
		dcfg.PeerKey = testKey("Hospital").Public().(ed25519.PublicKey)
		for b.Loop() {
			s, err := Connect(context.Background(), l.Addr().String(), dcfg)
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	b.Run("pair", func(b *testing.B) {
		l := benchListener(b, testConfig("Hospital", "hospital", testCode))
		dcfg := testConfig("Alice", "patient", testCode)
		for b.Loop() {
			s, err := Connect(context.Background(), l.Addr().String(), dcfg)
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
}

func BenchmarkSend(b *testing.B) {
	payload := make([]byte, 64<<10)
	b.Run("baseline=tls-write-64KiB", func(b *testing.B) {
		cert, err := ephemeralCertificate()
		if err != nil {
			b.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := tls.Server(c, serverTLSConfig(cert))
			io.Copy(io.Discard, tc)
			tc.Close()
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		tc := tls.Client(c, clientTLSConfig())
		defer tc.Close()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := tc.Write(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, ch := range []string{"classical-64KiB", "quantum-64KiB"} {
		b.Run(ch, func(b *testing.B) {
			ctx := context.Background()
			l := benchListener(b, testConfig("Hospital", "hospital", testCode))
			s, err := Connect(ctx, l.Addr().String(), testConfig("Alice", "patient", testCode))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if ch == "quantum-64KiB" {
					err = s.SendQuantum(ctx, payload)
				} else {
					err = s.Send(ctx, Frame{Type: FirstAppFrame, Payload: payload})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
