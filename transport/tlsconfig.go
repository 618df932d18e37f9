package transport

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"
)

// alpn names this protocol in TLS, so a stray TLS client is refused early.
const alpn = "qkdchat/1"

// bindingLabel is the TLS exporter label of the channel binding. Session.
// Exporter refuses it, so applications cannot derive the same bytes.
const bindingLabel = "EXPORTER-qkdchat-channel-binding-v1"

// ephemeralCertificate makes a self-signed Ed25519 certificate for one
// listener. It authenticates nothing: peers authenticate inside TLS with
// the PAKE or their identity keys, bound to the exporter.
func ephemeralCertificate() (tls.Certificate, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("transport: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("transport: certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "qkdchat ephemeral"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("transport: certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}, nil
}

// serverTLSConfig is TLS 1.3 only with Go's default key exchanges, whose
// first preference is the hybrid X25519MLKEM768.
func serverTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{alpn},
	}
}

// clientTLSConfig skips certificate verification on purpose: the
// certificate is ephemeral and the peer is authenticated inside TLS by a
// proof bound to the exporter of this very connection.
func clientTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true,
		NextProtos:         []string{alpn},
		ServerName:         "qkdchat",
	}
}
