// Package eve is the eavesdropper of the demo and the tests: a relay
// between two peers that passes their TLS connections through unread and
// attacks a chosen fraction of the photons on the quantum link with an
// intercept-resend attack, counting what it did.
package eve
