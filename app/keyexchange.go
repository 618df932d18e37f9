package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/ledger"
	"qkdchat/qkd"
)

// BB84Settings are the key exchange parameters of a node. The initiator's
// settings govern an exchange; the responder validates what it is sent.
type BB84Settings struct {
	KeyBits int // final key length (256)
	// Noise is the link's intrinsic error rate, applied by the sender's
	// simulated channel. It is also the link calibration: the error the
	// parties' own equipment is known to give, which a first exchange is
	// planned for.
	Noise       float64
	Eve         float64 // fraction of photons an in-channel eavesdropper intercepts (simulated channel only; never planned for)
	FiberKm     float64 // fibre length, for loss
	Threshold   float64 // abort above this QBER (0.11)
	TraceQubits int     // qubits disclosed for the UI's table (32)
	// DesignQBER is the QBER the parties plan a first exchange for, and the
	// least any exchange is planned for; 0 means qkd.DefaultDesignQBER
	// (2%). A larger Noise, the link's calibrated intrinsic error, raises
	// the first plan; later exchanges are planned for the QBER measured in
	// the earlier ones (see planDesign). Eve never enters a plan.
	DesignQBER float64
}

// Validate reports settings outside their ranges.
func (b BB84Settings) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"noise", b.Noise}, {"eavesdropper fraction", b.Eve}, {"threshold", b.Threshold}, {"design QBER", b.DesignQBER}} {
		if p.v < 0 || p.v > 1 || p.v != p.v {
			return fmt.Errorf("%s %g is not between 0 and 1", p.name, p.v)
		}
	}
	if b.KeyBits < 0 || b.FiberKm < 0 || b.TraceQubits < 0 {
		return errors.New("key bits, fibre length and trace size cannot be negative")
	}
	return nil
}

func (b *BB84Settings) withDefaults() {
	if b.KeyBits == 0 {
		b.KeyBits = 256
	}
	if b.Threshold == 0 {
		b.Threshold = 0.11
	}
	if b.TraceQubits == 0 {
		b.TraceQubits = 32
	}
}

// qkdConfig turns the settings into a qkd run planned for the design QBER
// design. The number of photons is planned from the protocol alone
// (qkd.Protocol): the design QBER (see planDesign) and the loss of the
// parties' link, which they know. The channel's noise and the
// eavesdropper are the simulated channel's (qkd.Channel): they act on the
// photons, never on the plan. Planning for Eve would make Alice refuse to
// start instead of letting the error rate expose her.
// channel is the simulated channel these settings describe.
func (b BB84Settings) channel() qkd.Channel {
	return qkd.Channel{Noise: b.Noise, Eve: b.Eve, FiberKm: b.FiberKm}
}

func (b BB84Settings) qkdConfig(design float64) (qkd.Config, error) {
	ch := b.channel()
	c := qkd.Config{
		Protocol: qkd.Protocol{
			KeyBits:         b.KeyBits,
			Threshold:       b.Threshold,
			TraceQubits:     b.TraceQubits,
			DesignQBER:      design,
			DesignDetection: ch.Detection(),
		},
		Channel: ch,
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	n, err := qkd.RequiredQubits(c.Protocol)
	if err != nil {
		return c, &PlanError{Plan: ExchangePlan{DesignQBER: design}, KeyBits: b.KeyBits, Limit: maxExchangeQubits, Err: err}
	}
	// RequiredQubits plans for the expected run; a user waiting for a
	// chat key should not see one exchange in forty fail on an unlucky
	// sample, so send a tenth more photons.
	c.Qubits = n + n/10
	if c.Qubits > maxExchangeQubits {
		return c, &PlanError{Plan: ExchangePlan{DesignQBER: design, Qubits: c.Qubits}, KeyBits: b.KeyBits, Limit: maxExchangeQubits,
			Err: fmt.Errorf("%d photons planned", c.Qubits)}
	}
	return c, nil
}

// plannedConfig plans the next exchange from the settings and the
// session's earlier exchanges (see planDesign). When the measured QBER
// asks for more photons than a run may send, the run is a probe planned
// as the first one was: it makes a key if the link has improved since and
// measures it afresh if not, instead of never measuring again.
func (b BB84Settings) plannedConfig(past []*KeyExchange) (qkd.Config, ExchangePlan, error) {
	plan := planDesign(b, past)
	c, err := b.qkdConfig(plan.DesignQBER)
	var pe *PlanError
	if errors.As(err, &pe) && plan.Source == PlanMeasured {
		plan.Source, plan.DesignQBER = PlanProbe, plan.Initial
		c, err = b.qkdConfig(plan.DesignQBER)
	}
	if errors.As(err, &pe) {
		pe.Plan = plan
		return c, plan, pe
	}
	plan.Qubits = c.Qubits
	return c, plan, err
}

// KeyExchange is the outcome of one BB84 exchange in a session.
type KeyExchange struct {
	Epoch   uint32      `json:"epoch"`
	Role    string      `json:"role"` // alice or bob
	Time    time.Time   `json:"time"`
	OK      bool        `json:"ok"`
	Reason  string      `json:"reason,omitempty"`
	Report  *qkd.Report `json:"report,omitempty"`
	KeyBits int         `json:"key_bits"`
	// Plan is how Alice sized the exchange (Alice's side only).
	Plan *ExchangePlan `json:"plan,omitempty"`
	// Cause is the typed reason an exchange made no key, for
	// ExplainAbort; nil for a key, and for an exchange read back from JSON.
	Cause error `json:"-"`
}

// keyResult is what each side tells the other when its half of an exchange
// ends. Confirm is an HMAC under the new message key, so each side learns
// that the other derived the same key before switching to it.
type keyResult struct {
	Epoch   uint32  `json:"epoch"`
	OK      bool    `json:"ok"`
	Reason  string  `json:"reason,omitempty"`
	QBER    float64 `json:"qber"`
	KeyBits int     `json:"key_bits"`
	Confirm []byte  `json:"confirm,omitempty"`
}

// pendingExchange is an exchange of Bob's whose first frames arrived while
// the previous one was still finishing on this side.
type pendingExchange struct {
	ctx   context.Context
	epoch uint32
	link  *qkdLink
}

// exchangeTimeout bounds one BB84 exchange, photons and reconciliation.
const exchangeTimeout = 60 * time.Second

// Rekey runs a new BB84 exchange now, or, if one is running, waits for it.
// On the responder's side it asks the initiator to start one. It returns
// when this side's exchange has ended; an abort is reported as an error
// and as an event.
func (s *Session) Rekey(ctx context.Context) error {
	if !s.initiator {
		return s.send(ctx, frameRekeyRequest, nil)
	}
	s.mu.Lock()
	for s.exchanging {
		// One is running already. If its key is still to come, that is
		// the fresh key asked for; if it is only finishing, start another
		// after it.
		done, join := s.exchangeDone, s.exchangeEpoch > s.epoch
		s.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
		if join {
			defer s.mu.Unlock()
			return s.exchangeErr
		}
	}
	epoch := s.epoch + 1
	s.beginExchangeLocked(epoch)
	link := newQKDLink(s, epoch)
	s.links[epoch] = link
	s.mu.Unlock()
	return s.runExchange(ctx, epoch, link)
}

// deliverBB84 routes a BB84 frame to the exchange of its epoch. On the
// responder's side the first frame of the next epoch starts Bob.
func (s *Session) deliverBB84(ctx context.Context, payload []byte, quantum bool) error {
	epoch, ok := bb84Epoch(payload)
	if !ok {
		return errors.New("BB84 frame too short")
	}
	s.mu.Lock()
	link := s.links[epoch]
	if link == nil && !s.initiator && s.nextBob == nil && epoch > s.epoch && epoch <= s.epoch+2 {
		// The first frame of a new exchange. If the previous one is still
		// finishing here (Alice has moved on as soon as she had both
		// results), buffer the new one and start it when that ends.
		link = newQKDLink(s, epoch)
		s.links[epoch] = link
		if s.exchanging {
			s.nextBob = &pendingExchange{ctx: ctx, epoch: epoch, link: link}
		} else {
			s.beginExchangeLocked(epoch)
			go s.runExchange(ctx, epoch, link)
		}
	}
	s.mu.Unlock()
	if link == nil {
		// A straggler of a finished exchange: harmless, ignore.
		return nil
	}
	if err := link.deliver(payload, quantum); err != nil && !quantum {
		return err
	}
	return nil
}

// handleKeyResult takes the peer's result of an exchange. A failed result
// for the next epoch with no exchange running here means the initiator
// gave up before sending a photon: report it and answer, so both sides
// end the exchange with the reason.
func (s *Session) handleKeyResult(ctx context.Context, r keyResult) {
	s.mu.Lock()
	early := !s.initiator && !r.OK && !s.exchanging && s.links[r.Epoch] == nil && r.Epoch == s.epoch+1
	s.mu.Unlock()
	if !early {
		select {
		case s.resultChan(r.Epoch) <- r:
		default: // a duplicate result: the first one counts
		}
		return
	}
	kx := &KeyExchange{Epoch: r.Epoch, Role: "bob", Time: time.Now(), Reason: "peer aborted: " + r.Reason,
		Cause: &qkd.PeerAbortError{Reason: r.Reason}}
	b, _ := json.Marshal(keyResult{Epoch: r.Epoch, Reason: "no exchange started"})
	s.send(ctx, frameKeyResult, b)
	s.finishAbort(ctx, kx, r.QBER)
}

func (s *Session) sendClassicalBB84(ctx context.Context, payload []byte) error {
	return s.send(ctx, frameBB84, payload)
}

func (s *Session) sendQuantum(ctx context.Context, payload []byte) error {
	return s.ts.SendQuantum(ctx, payload)
}

func (s *Session) resultChan(epoch uint32) chan keyResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.results[epoch]
	if ch == nil {
		ch = make(chan keyResult, 1)
		s.results[epoch] = ch
	}
	return ch
}

func (s *Session) failLinks(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.links {
		l.fail(err)
	}
}

// beginExchangeLocked marks the exchange of epoch as running. Call it with
// s.mu held, before starting runExchange.
func (s *Session) beginExchangeLocked(epoch uint32) {
	s.exchanging = true
	s.exchangeEpoch = epoch
	s.exchangeDone = make(chan struct{})
}

func (s *Session) runExchange(ctx context.Context, epoch uint32, link *qkdLink) (err error) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	defer func() {
		s.mu.Lock()
		if s.links[epoch] == link {
			delete(s.links, epoch)
		}
		delete(s.results, epoch)
		s.exchanging = false
		s.exchangeErr = err
		close(s.exchangeDone)
		if next := s.nextBob; next != nil {
			s.nextBob = nil
			s.beginExchangeLocked(next.epoch)
			go s.runExchange(next.ctx, next.epoch, next.link)
		}
		s.keyChangedLocked()
		s.mu.Unlock()
	}()

	var plan *ExchangePlan
	var cfg qkd.Config
	var cfgErr error
	if s.initiator {
		s.mu.Lock()
		past := s.history[:len(s.history):len(s.history)]
		s.mu.Unlock()
		var p ExchangePlan
		cfg, p, cfgErr = s.node.BB84().plannedConfig(past)
		plan = &p
	} else {
		// Bob runs what Alice announces (qkd replaces his Protocol with
		// her Params); only his channel settings, his detector, are his.
		cfg = qkd.Config{Channel: s.node.BB84().channel()}
	}
	cfg.Progress = func(p qkd.Progress) {
		q, qz, qx := p.QBER, p.QBERZ, p.QBERX
		s.event(Event{Type: EventKeyProgress, Epoch: epoch, Phase: string(p.Phase), Sent: p.Sent, Detected: p.Detected, Sifted: p.Sifted,
			QBER: &q, QBERZ: &qz, QBERX: &qx})
	}
	role := "bob"
	var res *qkd.Result
	if s.initiator {
		role = "alice"
		if err = cfgErr; err == nil {
			res, err = qkd.RunAlice(ctx, cfg, link)
		}
	} else {
		res, err = qkd.RunBob(ctx, cfg, link)
		// Frames from here on belong to Alice's next exchange (after an
		// abort it may reuse this epoch number): route them to a new link.
		s.mu.Lock()
		if s.links[epoch] == link {
			delete(s.links, epoch)
		}
		s.mu.Unlock()
	}
	kx := &KeyExchange{Epoch: epoch, Role: role, Time: time.Now(), Plan: plan}
	if res != nil {
		kx.Report = &res.Report
	}

	var key *fernet.Key
	mine := keyResult{Epoch: epoch}
	if err == nil {
		key, err = s.messageKey(res.Key, epoch)
	}
	if err == nil {
		mine.OK, mine.KeyBits = true, len(res.Key)*8
		mine.Confirm = confirmTag(key, epoch, s.initiator)
	} else {
		mine.Reason = UserError(err)
	}
	if res != nil {
		mine.QBER = res.Report.QBEREstimate
	}
	b, _ := json.Marshal(mine)
	sendErr := s.send(ctx, frameKeyResult, b)

	var theirs keyResult
	if sendErr == nil {
		select {
		case theirs = <-s.resultChan(epoch):
		case <-ctx.Done():
			theirs = keyResult{Epoch: epoch, Reason: "peer did not report its result"}
		}
	} else {
		theirs = keyResult{Epoch: epoch, Reason: "could not reach peer: " + sendErr.Error()}
	}

	switch {
	case !mine.OK:
		kx.Reason, kx.Cause = mine.Reason, err
	case !theirs.OK:
		kx.Reason, kx.Cause = "peer aborted: "+theirs.Reason, &qkd.PeerAbortError{Reason: theirs.Reason}
	case !hmac.Equal(theirs.Confirm, confirmTag(key, epoch, !s.initiator)):
		kx.Reason, kx.Cause = ErrKeyMismatch.Error(), ErrKeyMismatch
	default:
		kx.OK, kx.KeyBits = true, mine.KeyBits
	}
	if !kx.OK {
		return s.finishAbort(ctx, kx, mine.QBER)
	}
	s.recordKeyEvent(ctx, kx)

	if err := s.node.store.storeMessageKey(s.node.recordKey(), s.peer.Fingerprint, key, time.Now()); err != nil {
		s.log.Warn("could not keep the message key for the ledger browser", "err", err)
	}
	s.mu.Lock()
	delete(s.keys, s.epoch-1) // keep only the epoch before the new one
	s.keys[epoch] = key
	first := s.epoch == 0
	s.epoch = epoch
	s.keyChangedLocked()
	s.sinceRekey = 0
	s.lastRekey = time.Now()
	s.history = append(s.history, kx)
	if first {
		close(s.keyReady)
	}
	s.mu.Unlock()
	q := mine.QBER
	s.log.Info("key established", "epoch", epoch, "key_bits", kx.KeyBits)
	qz, qx := qberByBasis(kx)
	s.event(Event{Type: EventKeyEstablished, Epoch: epoch, KeyBits: kx.KeyBits, QBER: &q, QBERZ: qz, QBERX: qx, Exchange: kx, Sifted: siftedOf(kx)})
	s.requestCheckpoint(ctx)
	return nil
}

// finishAbort records and announces an exchange that made no key. The
// previous epoch's key, if any, stays in use: it was established before
// the disturbance and is not affected by it.
func (s *Session) finishAbort(ctx context.Context, kx *KeyExchange, qber float64) error {
	s.recordKeyEvent(ctx, kx)
	s.mu.Lock()
	s.history = append(s.history, kx)
	s.mu.Unlock()
	s.log.Warn("key exchange aborted", "epoch", kx.Epoch, "reason", kx.Reason)
	qz, qx := qberByBasis(kx)
	s.event(Event{Type: EventKeyAborted, Epoch: kx.Epoch, Aborted: true, Reason: kx.Reason, QBER: &qber, QBERZ: qz, QBERX: qx, Exchange: kx,
		Sifted: siftedOf(kx)})
	return fmt.Errorf("key exchange aborted: %s", kx.Reason)
}

// qberByBasis returns the error rates of the disclosed Z and X bits of an
// exchange, nil when it got no report.
func qberByBasis(kx *KeyExchange) (z, x *float64) {
	if kx.Report == nil {
		return nil, nil
	}
	qz, qx := kx.Report.QBERZ, kx.Report.QBERX
	return &qz, &qx
}

func siftedOf(kx *KeyExchange) int {
	if kx.Report == nil {
		return 0
	}
	return kx.Report.Sifted
}

// messageKey derives the Fernet key of an epoch from the BB84 key and the
// TLS session: HKDF(BB84 key, salt = TLS exporter, info = epoch). Without
// the exporter a simulated (hence public-in-principle) BB84 key would be
// the only secret; with it the wire stays confidential under TLS 1.3.
func (s *Session) messageKey(bb84Key []byte, epoch uint32) (*fernet.Key, error) {
	exp, err := s.ts.Exporter("qkdchat message key", nil, 32)
	if err != nil {
		return nil, fmt.Errorf("derive message key: %w", err)
	}
	k, err := qkd.DeriveKey(bb84Key, exp, fmt.Sprintf("qkdchat fernet epoch %d", epoch))
	if err != nil {
		return nil, err
	}
	fk := fernet.Key(k)
	return &fk, nil
}

func confirmTag(key *fernet.Key, epoch uint32, fromInitiator bool) []byte {
	m := hmac.New(sha256.New, key[:])
	var b [5]byte
	binary.BigEndian.PutUint32(b[:], epoch)
	if fromInitiator {
		b[4] = 1
	}
	m.Write([]byte("qkdchat key confirmation"))
	m.Write(b[:])
	return m.Sum(nil)
}

// recordKeyEvent appends a key-event transaction for an exchange: its
// numbers (never the key) sealed under this node's local record key.
func (s *Session) recordKeyEvent(ctx context.Context, kx *KeyExchange) {
	summary, _ := json.Marshal(kx)
	tok, err := fernet.EncryptAndSign(summary, s.node.recordKey())
	if err != nil {
		return
	}
	tx := &ledger.Transaction{Kind: ledger.KindKeyEvent, Sender: s.node.id.Public(), Recipient: s.peer.PublicKey,
		CaseID: "session", Time: time.Now(), Token: tok}
	if err := tx.Sign(s.node.id); err != nil {
		return
	}
	rc, err := s.node.ledger.Append(context.WithoutCancel(ctx), tx)
	if err != nil {
		s.log.Warn("could not record key event", "err", err)
		return
	}
	s.event(Event{Type: EventLedgerAppend, TxID: rc.ID.String(), Kind: tx.Kind.String(), Index: rc.Index})
}
