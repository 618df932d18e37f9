package widgets

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestQueuedBubbleShowsNoEpoch: a message still in the outbox has no key
// yet, so its bubble shows no padlock and no "epoch 0"; once sent under a
// key, the padlock and the key's epoch appear.
func TestQueuedBubbleShowsNoEpoch(t *testing.T) {
	test.NewTempApp(t)
	b := NewChatBubble(ChatMessage{Sender: "You", Time: bubbleTime, Text: "queued", Outgoing: true, State: StateQueued})
	show(t, b, fyne.NewSize(400, 100))
	r := bubbleParts(t, b)
	if !r.lock.Hidden || !r.epoch.Hidden || r.epoch.Text != "" {
		t.Errorf("queued: lock hidden %v, epoch %q hidden %v", r.lock.Hidden, r.epoch.Text, r.epoch.Hidden)
	}
	for _, o := range r.footer {
		if o == r.lock || o == r.epoch {
			t.Errorf("queued: the footer lays out the padlock or epoch")
		}
	}
	b.SetMessage(ChatMessage{Sender: "You", Time: bubbleTime, Text: "queued", Outgoing: true, State: StateDelivered, Epoch: 2})
	if r.lock.Hidden || r.epoch.Hidden || r.epoch.Text != "epoch 2" {
		t.Errorf("delivered: lock hidden %v, epoch %q hidden %v", r.lock.Hidden, r.epoch.Text, r.epoch.Hidden)
	}
}
