package session

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
	// RetryIn is, for an exchange of Alice's that failed by bad luck, when
	// she starts another by herself (retry.go); 0 when she does not.
	RetryIn time.Duration `json:"retry_in_ns,omitempty"`
	// Cause is the typed reason an exchange made no key, for
	// ExplainAbort; nil for a key, and for an exchange read back from JSON.
	Cause error `json:"-"`
}

// ErrKeyMismatch is the cause of an exchange whose two sides each made a
// key, but not the same one: the confirmation tags differed.
var ErrKeyMismatch = errors.New("key confirmation failed: the two sides derived different keys")

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

// rekey runs a new BB84 exchange now, or, if one is running, waits for it.
// On the responder's side it asks the initiator to start one. It returns
// when this side's exchange has ended, after the retries of bad luck
// (retry.go); an abort is reported as an *AbortedError and as an event.
func (k *keyring) rekey(ctx context.Context) error {
	if !k.s.initiator {
		return k.s.SendFrame(ctx, FrameRekeyRequest, nil)
	}
	return retryAfter(ctx, k.rekeyOnce(ctx), k.rekey)
}

// rekeyOnce is rekey without the retries.
func (k *keyring) rekeyOnce(ctx context.Context) error {
	k.mu.Lock()
	for k.exchanging {
		// One is running already. If its key is still to come, that is
		// the fresh key asked for; if it is only finishing, start another
		// after it.
		done, join := k.exchangeDone, k.exchangeEpoch > k.epoch
		k.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		k.mu.Lock()
		if join {
			defer k.mu.Unlock()
			return k.exchangeErr
		}
	}
	epoch, link := k.startLocked()
	k.mu.Unlock()
	return k.runExchange(ctx, epoch, link)
}

// startLocked begins the initiator's exchange of the next epoch; the
// caller runs it (runExchange). Call it with k.mu held and no exchange
// running.
func (k *keyring) startLocked() (uint32, *qkdLink) {
	epoch := k.epoch + 1
	k.beginLocked(epoch)
	link := newQKDLink(linkOut{k.s}, epoch)
	k.links[epoch] = link
	return epoch, link
}

// deliverBB84 routes a BB84 frame to the exchange of its epoch. On the
// responder's side the first frame of the next epoch starts Bob.
func (k *keyring) deliverBB84(ctx context.Context, payload []byte, quantum bool) error {
	epoch, ok := bb84Epoch(payload)
	if !ok {
		return errors.New("BB84 frame too short")
	}
	k.mu.Lock()
	link := k.links[epoch]
	if link == nil && !k.s.initiator && k.nextBob == nil && epoch > k.epoch && epoch <= k.epoch+2 {
		// The first frame of a new exchange. If the previous one is still
		// finishing here (Alice has moved on as soon as she had both
		// results), buffer the new one and start it when that ends.
		link = newQKDLink(linkOut{k.s}, epoch)
		k.links[epoch] = link
		if k.exchanging {
			k.nextBob = &pendingExchange{ctx: ctx, epoch: epoch, link: link}
		} else {
			k.beginLocked(epoch)
			go k.runExchange(ctx, epoch, link)
		}
	}
	k.mu.Unlock()
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
func (k *keyring) handleKeyResult(ctx context.Context, r keyResult) {
	k.mu.Lock()
	early := !k.s.initiator && !r.OK && !k.exchanging && k.links[r.Epoch] == nil && r.Epoch == k.epoch+1
	if k.exchanging && r.Epoch == k.exchangeEpoch {
		k.peerResultIn = true // the peer may hold the new key already
	}
	k.mu.Unlock()
	if !early {
		select {
		case k.resultChan(r.Epoch) <- r:
		default: // a duplicate result: the first one counts
		}
		return
	}
	kx := &KeyExchange{Epoch: r.Epoch, Role: "bob", Time: time.Now(), Reason: "peer aborted: " + r.Reason,
		Cause: &qkd.PeerAbortError{Reason: r.Reason}}
	b, _ := json.Marshal(keyResult{Epoch: r.Epoch, Reason: "no exchange started"})
	k.s.SendFrame(ctx, FrameKeyResult, b)
	k.finishAbort(ctx, kx, r.QBER)
}

func (k *keyring) resultChan(epoch uint32) chan keyResult {
	k.mu.Lock()
	defer k.mu.Unlock()
	ch := k.results[epoch]
	if ch == nil {
		ch = make(chan keyResult, 1)
		k.results[epoch] = ch
	}
	return ch
}

func (k *keyring) failLinks(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, l := range k.links {
		l.fail(err)
	}
}

// beginLocked marks the exchange of epoch as running. Call it with
// k.mu held, before starting runExchange.
func (k *keyring) beginLocked(epoch uint32) {
	k.exchanging = true
	k.exchangeEpoch = epoch
	k.exchangeStart = time.Now()
	k.exchangeDone = make(chan struct{})
	k.peerResultIn = false
}

func (k *keyring) runExchange(ctx context.Context, epoch uint32, link *qkdLink) (err error) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	defer func() {
		k.mu.Lock()
		if k.links[epoch] == link {
			delete(k.links, epoch)
		}
		delete(k.results, epoch)
		k.exchanging = false
		k.exchangeErr = err
		k.exchangeEnd = time.Now()
		close(k.exchangeDone)
		if next := k.nextBob; next != nil {
			k.nextBob = nil
			k.beginLocked(next.epoch)
			go k.runExchange(next.ctx, next.epoch, next.link)
		}
		k.changedLocked()
		k.mu.Unlock()
	}()

	var plan *ExchangePlan
	var cfg qkd.Config
	var cfgErr error
	if k.s.initiator {
		k.mu.Lock()
		past := k.history[:len(k.history):len(k.history)]
		k.mu.Unlock()
		var p ExchangePlan
		cfg, p, cfgErr = k.s.cfg.BB84().plannedConfig(past)
		plan = &p
	} else {
		// Bob runs what Alice announces (qkd replaces his Protocol with
		// her Params); only his channel settings, his detector, are his.
		cfg = qkd.Config{Channel: k.s.cfg.BB84().channel(), MaxRun: maxBobRun}
	}
	cfg.Progress = func(p qkd.Progress) {
		q, qz, qx := p.QBER, p.QBERZ, p.QBERX
		k.s.Event(Event{Type: EventKeyProgress, Epoch: epoch, Phase: string(p.Phase), Sent: p.Sent, Detected: p.Detected, Sifted: p.Sifted,
			QBER: &q, QBERZ: &qz, QBERX: &qx})
	}
	role := "bob"
	var res *qkd.Result
	if k.s.initiator {
		role = "alice"
		if err = cfgErr; err == nil {
			res, err = qkd.RunAlice(ctx, cfg, link)
		}
	} else {
		res, err = qkd.RunBob(ctx, cfg, link)
		// Frames from here on belong to Alice's next exchange (after an
		// abort it may reuse this epoch number): route them to a new link.
		k.mu.Lock()
		if k.links[epoch] == link {
			delete(k.links, epoch)
		}
		k.mu.Unlock()
	}
	kx := &KeyExchange{Epoch: epoch, Role: role, Time: time.Now(), Plan: plan}
	if res != nil {
		kx.Report = &res.Report
	}

	var key *fernet.Key
	mine := keyResult{Epoch: epoch}
	if err == nil {
		key, err = k.messageKey(res.Key, epoch)
	}
	if err == nil {
		mine.OK, mine.KeyBits = true, len(res.Key)*8
		mine.Confirm = confirmTag(key, epoch, k.s.initiator)
	} else {
		mine.Reason = UserError(err)
	}
	if res != nil {
		mine.QBER = res.Report.QBEREstimate
	}
	b, _ := json.Marshal(mine)
	sendErr := k.s.SendFrame(ctx, FrameKeyResult, b)

	var theirs keyResult
	if sendErr == nil {
		select {
		case theirs = <-k.resultChan(epoch):
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
	case !hmac.Equal(theirs.Confirm, confirmTag(key, epoch, !k.s.initiator)):
		kx.Reason, kx.Cause = ErrKeyMismatch.Error(), ErrKeyMismatch
	default:
		kx.OK, kx.KeyBits = true, mine.KeyBits
	}
	if !kx.OK {
		if k.s.initiator {
			k.mu.Lock()
			if badLuck(kx.Cause) {
				k.badLuck++
			} else {
				k.badLuck = 0
			}
			kx.RetryIn = retryIn(k.badLuck)
			k.mu.Unlock()
		}
		return k.finishAbort(ctx, kx, mine.QBER)
	}
	k.recordKeyEvent(ctx, kx)

	if err := k.s.cfg.Keys.Put(k.s.peer.Fingerprint, key, time.Now()); err != nil {
		k.s.log.Warn("could not keep the message key for the ledger browser", "err", err)
	}
	k.mu.Lock()
	delete(k.keys, k.epoch-1) // keep only the epoch before the new one
	k.keys[epoch] = key
	first := k.epoch == 0
	k.epoch = epoch
	k.changedLocked()
	k.sinceRekey = 0
	k.badLuck = 0
	k.lastRekey = time.Now()
	k.history = append(k.history, kx)
	if first {
		close(k.keyReady)
	}
	k.mu.Unlock()
	q := mine.QBER
	k.s.log.Info("key established", "epoch", epoch, "key_bits", kx.KeyBits)
	qz, qx := qberByBasis(kx)
	k.s.Event(Event{Type: EventKeyEstablished, Epoch: epoch, KeyBits: kx.KeyBits, QBER: &q, QBERZ: qz, QBERX: qx, Exchange: kx, Sifted: siftedOf(kx)})
	k.s.ck.request(ctx)
	return nil
}

// finishAbort records and announces an exchange that made no key. The
// previous epoch's key, if any, stays in use: it was established before
// the disturbance and is not affected by it.
func (k *keyring) finishAbort(ctx context.Context, kx *KeyExchange, qber float64) error {
	k.recordKeyEvent(ctx, kx)
	k.mu.Lock()
	k.history = append(k.history, kx)
	k.mu.Unlock()
	k.s.log.Warn("key exchange aborted", "epoch", kx.Epoch, "reason", kx.Reason)
	qz, qx := qberByBasis(kx)
	k.s.Event(Event{Type: EventKeyAborted, Epoch: kx.Epoch, Aborted: true, Reason: kx.Reason, QBER: &qber, QBERZ: qz, QBERX: qx, Exchange: kx,
		Sifted: siftedOf(kx)})
	return &AbortedError{Exchange: kx}
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
func (k *keyring) messageKey(bb84Key []byte, epoch uint32) (*fernet.Key, error) {
	exp, err := k.s.ts.Exporter("qkdchat message key", nil, 32)
	if err != nil {
		return nil, fmt.Errorf("derive message key: %w", err)
	}
	raw, err := qkd.DeriveKey(bb84Key, exp, fmt.Sprintf("qkdchat fernet epoch %d", epoch))
	if err != nil {
		return nil, err
	}
	fk := fernet.Key(raw)
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
func (k *keyring) recordKeyEvent(ctx context.Context, kx *KeyExchange) {
	summary, _ := json.Marshal(kx)
	tok, err := fernet.EncryptAndSign(summary, k.s.cfg.RecordKey)
	if err != nil {
		return
	}
	tx := &ledger.Transaction{Kind: ledger.KindKeyEvent, Sender: k.s.cfg.Identity.Public(), Recipient: k.s.peer.PublicKey,
		CaseID: "session", Time: time.Now(), Token: tok}
	if err := tx.Sign(k.s.cfg.Identity); err != nil {
		return
	}
	rc, err := k.s.cfg.Ledger.Append(context.WithoutCancel(ctx), tx)
	if err != nil {
		k.s.log.Warn("could not record key event", "err", err)
		return
	}
	k.s.Event(Event{Type: EventLedgerAppend, TxID: rc.ID.String(), Kind: tx.Kind.String(), Index: rc.Index})
}
