package qkd

import (
	"time"

	"qkdchat/qkd/decoy"
)

// Phase is a stage of a run, as reported to Config.Progress.
type Phase string

// The phases of a run, in order.
const (
	PhasePrepare   Phase = "prepare"
	PhaseTransmit  Phase = "transmit"
	PhaseSift      Phase = "sift"
	PhaseEstimate  Phase = "estimate"
	PhaseReconcile Phase = "reconcile"
	PhaseVerify    Phase = "verify"
	PhaseAmplify   Phase = "amplify"
	PhaseDone      Phase = "done"
	PhaseAborted   Phase = "aborted"
)

// Progress is a snapshot of a run for a progress display.
type Progress struct {
	Phase    Phase
	Sent     int     // photons sent (Alice) or received (Bob) so far
	Detected int     // photons Bob detected
	Matches  int     // time slots where both chose the same basis
	Sifted   int     // detected and same basis
	QBER     float64 // Report.QBEREstimate, once known
	QBERZ    float64 // Report.QBERZ, once known
	QBERX    float64 // Report.QBERX, once known
}

// Report describes one run. The JSON names are those of
// `qkdchat simulate --json`.
type Report struct {
	QubitsSent     int `json:"qubits_sent"`
	QubitsDetected int `json:"qubits_detected"`
	Matches        int `json:"-"` // same basis, detected or not
	Sifted         int `json:"sifted"`
	SampleSize     int `json:"sample_size"`
	// QBEREstimate is the error rate checked against the abort threshold:
	// at z-bias 0.5 that of the whole sample, at any other bias the larger
	// of QBERZ and QBERX.
	QBEREstimate float64 `json:"qber_estimate"`
	// QBERZ and QBERX are the error rates of the disclosed Z-basis and
	// X-basis bits (0 when the sample holds none of that basis).
	QBERZ float64 `json:"qber_z"`
	QBERX float64 `json:"qber_x"`
	// PhaseQBER is the sample error rate the key's phase error is bounded
	// by: the whole sample at z-bias 0.5, the other basis' bits otherwise.
	PhaseQBER float64 `json:"-"`
	// QBERTrue is the error rate of the whole sifted string, known only to
	// Simulate; -1 elsewhere.
	QBERTrue    float64 `json:"qber_true"`
	EveFraction float64 `json:"eve_fraction"`
	// EveBasis is the eavesdropper's basis strategy: random, z or x.
	EveBasis string `json:"eve_basis"`
	// Source is single (photons) or wcp (a weak laser); Attack the
	// eavesdropper's attack: intercept-resend, pns or beam-splitting. Both
	// are set, with PulseReport, only for runs on the pulse model; other
	// runs' JSON is as before issue 16.
	Source string `json:"source,omitempty"`
	Attack string `json:"attack,omitempty"`
	// PulseReport is set for runs on the pulse model (protocol version 6).
	*decoy.Report
	// EveInfoBits is how many bits of the reconciled key (before privacy
	// amplification) Eve knows exactly: she measured them in the right
	// basis. Known only to Simulate.
	EveInfoBits int `json:"eve_info_bits"`
	// EveFinalInfoBits is the simulator's upper estimate of how many bits
	// of the final key Eve knows: min(KeyBits, max(0, EveInfoBits +
	// LeakedEC - (ReconciledBits - KeyBits))). Her exactly known bits and
	// every bit error correction disclosed, less what privacy
	// amplification removed; the bits she did not measure in the right
	// basis are uniform to her. 0 when no key was made. Known only to
	// Simulate.
	EveFinalInfoBits int `json:"eve_final_info_bits"`
	// LeakedEC counts every bit disclosed by error correction: all Cascade
	// parities plus the 64-bit verification tag.
	LeakedEC int `json:"leaked_ec"`
	// ECEfficiency is f = (Cascade parities) / (n h(Q)) with Q the error
	// rate Cascade actually corrected; 0 when there was nothing to correct.
	ECEfficiency float64 `json:"ec_efficiency"`
	// ECRoundTrips counts the batched parity question/answer exchanges.
	ECRoundTrips int    `json:"ec_round_trips"`
	KeyBits      int    `json:"key_bits"`
	Aborted      bool   `json:"aborted"`
	AbortReason  string `json:"abort_reason"`
	// Elapsed is the wall time of each phase, in milliseconds.
	Elapsed PhaseTimes `json:"elapsed_ms"`

	SampleErrors   int           `json:"-"` // disclosed bits that differed, both bases
	ReconciledBits int           `json:"-"` // n: key bits entering error correction
	Corrected      int           `json:"-"` // bits Cascade flipped
	Mu             float64       `json:"-"` // finite-key fluctuation term
	BoundBits      float64       `json:"-"` // finite-key bound l before rounding
	Trace          []TracedQubit `json:"-"`
}

// PhaseTimes is the wall time of each phase in milliseconds. A run that
// aborts has the time of the phase it stopped in (e.g. estimate for a QBER
// abort) and zero for the phases after it.
type PhaseTimes struct {
	Prepare   float64 `json:"prepare"`
	Transmit  float64 `json:"transmit"`
	Sift      float64 `json:"sift"`
	Estimate  float64 `json:"estimate"`
	Reconcile float64 `json:"reconcile"`
	Verify    float64 `json:"verify"`
	Amplify   float64 `json:"amplify"`
	Total     float64 `json:"total"`
}

// of returns the field of phase p, or nil for none.
func (t *PhaseTimes) of(p Phase) *float64 {
	switch p {
	case PhasePrepare:
		return &t.Prepare
	case PhaseTransmit:
		return &t.Transmit
	case PhaseSift:
		return &t.Sift
	case PhaseEstimate:
		return &t.Estimate
	case PhaseReconcile:
		return &t.Reconcile
	case PhaseVerify:
		return &t.Verify
	case PhaseAmplify:
		return &t.Amplify
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TracedQubit is one disclosed qubit of Report.Trace.
type TracedQubit struct {
	Index      int   `json:"index"`
	AliceBit   uint8 `json:"alice_bit"`
	AliceBasis Basis `json:"alice_basis"`
	Detected   bool  `json:"detected"`
	BobBasis   Basis `json:"bob_basis"`
	BobBit     uint8 `json:"bob_bit"` // 0 when not detected
	BasesMatch bool  `json:"bases_match"`
	Kept       bool  `json:"kept"` // detected and bases match (Eq. 7); disclosed, so never in the key
	Error      bool  `json:"error"`
}
