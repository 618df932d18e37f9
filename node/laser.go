package node

import (
	"fmt"
	"strings"

	"qkdchat/session"
)

// The names of the light sources and decoy choices, as the CLI's flags
// and the app's settings spell them.
const (
	SourceSingle     = "single"      // ideal single photons
	SourceWCP        = "wcp"         // weak coherent (laser) pulses
	DecoysNone       = "none"        // no decoy states: the GLLP bound
	DecoysVacuumWeak = "vacuum+weak" // vacuum and weak decoys
)

// MaxLiveFiberKm is the longest fibre a live link accepts (the CLI's
// --fiber-km and the app's settings): session.MaxLiveFiberKm.
const MaxLiveFiberKm = session.MaxLiveFiberKm

// ParseSource reads "single" or "wcp" (any case); it reports whether the
// source is a laser.
func ParseSource(s string) (laser bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case SourceSingle, "":
		return false, nil
	case SourceWCP:
		return true, nil
	}
	return false, fmt.Errorf("light source %q: want single (ideal single photons) or wcp (weak laser pulses)", s)
}

// ParseDecoys reads "none" or "vacuum+weak" (any case).
func ParseDecoys(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case DecoysNone, "":
		return false, nil
	case DecoysVacuumWeak:
		return true, nil
	}
	return false, fmt.Errorf("decoys %q: want none or vacuum+weak", s)
}

// SourceName is b's light source, SourceSingle or SourceWCP.
func SourceName(b BB84Settings) string {
	if b.Laser {
		return SourceWCP
	}
	return SourceSingle
}

// DecoysName is b's decoy choice, DecoysNone or DecoysVacuumWeak.
func DecoysName(b BB84Settings) string {
	if b.Decoys {
		return DecoysVacuumWeak
	}
	return DecoysNone
}
