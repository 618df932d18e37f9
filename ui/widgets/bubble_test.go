package widgets

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

var bubbleTime = time.Date(2025, 11, 23, 14, 7, 0, 0, time.UTC)

func bubbleParts(t *testing.T, b *ChatBubble) *bubbleRenderer {
	t.Helper()
	return test.TempWidgetRenderer(t, b).(*bubbleRenderer)
}

func TestChatBubbleOutgoingDeliveryState(t *testing.T) {
	test.NewTempApp(t)
	b := NewChatBubble(ChatMessage{Sender: "You", Time: bubbleTime, Text: "Thank you, doctor!", Outgoing: true, State: StateQueued, Epoch: 3})
	show(t, container.NewVBox(b), fyne.NewSize(600, 200))
	r := bubbleParts(t, b)

	if r.sender.Text != "You" || r.body.Text != "Thank you, doctor!" || r.time.Text != "14:07" || r.epoch.Text != "epoch 3" {
		t.Errorf("sender %q body %q time %q epoch %q", r.sender.Text, r.body.Text, r.time.Text, r.epoch.Text)
	}
	if r.lock.Hidden || r.lock.Resource == nil || !strings.Contains(r.lock.Resource.Name(), "lock") {
		t.Errorf("no lock icon: %v", r.lock.Resource)
	}
	for _, step := range []struct {
		state DeliveryState
		text  string
		icon  fyne.Resource
	}{
		{StateQueued, "queued", theme.HistoryIcon()},
		{StateSent, "sent", theme.ConfirmIcon()},
		{StateDelivered, "delivered", DeliveredIcon()},
		{StateFailed, "failed", theme.ErrorIcon()},
	} {
		b.SetState(step.state)
		if r.state.Text != step.text || r.state.Hidden {
			t.Errorf("state %v: shows %q (hidden %v)", step.state, r.state.Text, r.state.Hidden)
		}
		if r.stateIcon.Hidden || r.stateIcon.Resource.Name() != step.icon.Name() {
			t.Errorf("state %v: icon %v, want %v", step.state, r.stateIcon.Resource.Name(), step.icon.Name())
		}
		if b.Message().State != step.state {
			t.Errorf("Message().State = %v", b.Message().State)
		}
	}
	if !sameColor(r.state.Color, testColor(theme.ColorNameError)) {
		t.Errorf("failed state colour %v", r.state.Color)
	}
	b.SetState(StateDelivered)

	// Outgoing bubbles keep to the right edge and are tinted.
	if x := r.bg.Position().X + r.bg.Size().Width; !near(x, b.Size().Width, 0.01) || r.bg.Position().X <= 0 {
		t.Errorf("outgoing bubble spans x=%v..%v in a widget %v wide", r.bg.Position().X, x, b.Size().Width)
	}
	if !sameColor(r.bg.FillColor, withAlpha(testColor(theme.ColorNamePrimary), 0x40)) {
		t.Errorf("outgoing bubble colour %v", r.bg.FillColor)
	}
	// The footer sits inside the bubble, below the text, in order.
	prev := r.bg.Position().X
	for _, o := range []fyne.CanvasObject{r.time, r.lock, r.epoch, r.stateIcon, r.state} {
		if o.Position().X < prev || o.Position().Y < r.body.Position().Y+r.body.Size().Height-theme.InnerPadding() {
			t.Errorf("footer part %T at %v out of order or above the text", o, o.Position())
		}
		prev = o.Position().X
	}
	if end := r.state.Position().X + r.state.Size().Width; end > r.bg.Position().X+r.bg.Size().Width {
		t.Errorf("footer ends at %v, beyond the bubble", end)
	}
	test.AssertObjectRendersToMarkup(t, "bubble_outgoing.xml", b)
}

func TestChatBubbleIncomingWraps(t *testing.T) {
	test.NewTempApp(t)
	long := strings.Repeat("The scan shows nothing alarming. ", 12)
	b := NewChatBubble(ChatMessage{Sender: "Dr. Ada Okafor", Time: bubbleTime, Text: long, State: StateDelivered, Epoch: 12})
	short := NewChatBubble(ChatMessage{Sender: "Dr. Ada Okafor", Time: bubbleTime, Text: "Hello", Epoch: 12})
	show(t, container.NewVBox(b, short), fyne.NewSize(700, 400))
	r := bubbleParts(t, b)

	if r.bg.Position().X != 0 {
		t.Errorf("incoming bubble starts at x=%v", r.bg.Position().X)
	}
	if !sameColor(r.bg.FillColor, testColor(theme.ColorNameInputBackground)) {
		t.Errorf("incoming bubble colour %v", r.bg.FillColor)
	}
	if !r.state.Hidden || !r.stateIcon.Hidden {
		t.Error("an incoming bubble shows a delivery state")
	}
	if r.epoch.Text != "epoch 12" || r.lock.Hidden {
		t.Errorf("epoch %q lock hidden %v", r.epoch.Text, r.lock.Hidden)
	}
	// The long text wraps at DefaultBubbleWidth: the bubble is that wide and
	// much taller than the one-line bubble.
	if w := r.bg.Size().Width; w != DefaultBubbleWidth {
		t.Errorf("long bubble %v wide, want %v", w, DefaultBubbleWidth)
	}
	rs := bubbleParts(t, short)
	if r.bg.Size().Height < rs.bg.Size().Height+3*theme.TextSize() {
		t.Errorf("long bubble %v high, one-line bubble %v: text did not wrap", r.bg.Size().Height, rs.bg.Size().Height)
	}
	if rs.bg.Size().Width >= r.bg.Size().Width {
		t.Errorf("short bubble %v wide, not narrower than the long one", rs.bg.Size().Width)
	}
	// The body fits in the bubble.
	if bottom := r.body.Position().Y + r.body.Size().Height; bottom > r.bg.Size().Height {
		t.Errorf("body ends at %v below the bubble's %v", bottom, r.bg.Size().Height)
	}
	// Its minimum size does not depend on the width it was given.
	min := b.MinSize()
	b.Resize(fyne.NewSize(1000, min.Height))
	if b.MinSize() != min {
		t.Errorf("MinSize changed from %v to %v with the width", min, b.MinSize())
	}

	b.MaxWidth = 250
	b.Refresh()
	if w := r.bg.Size().Width; w != 250 {
		t.Errorf("with MaxWidth 250 the bubble is %v wide", w)
	}
	test.AssertObjectRendersToMarkup(t, "bubble_incoming.xml", short)
}

func TestChatBubbleOptionalParts(t *testing.T) {
	test.NewTempApp(t)
	b := NewChatBubble(ChatMessage{Text: "no sender, no time", Epoch: 1})
	show(t, b, fyne.NewSize(400, 100))
	r := bubbleParts(t, b)
	if !r.sender.Hidden || !r.time.Hidden {
		t.Errorf("empty sender hidden %v, zero time hidden %v", r.sender.Hidden, r.time.Hidden)
	}
	b.SetMessage(ChatMessage{Sender: "Bob", Time: bubbleTime, Text: "now with both", Epoch: 2})
	if r.sender.Hidden || r.time.Hidden || r.sender.Text != "Bob" || r.epoch.Text != "epoch 2" || r.body.Text != "now with both" {
		t.Errorf("after SetMessage: sender %q (hidden %v), time hidden %v, epoch %q, body %q",
			r.sender.Text, r.sender.Hidden, r.time.Hidden, r.epoch.Text, r.body.Text)
	}
	if s := DeliveryState(9).String(); s != "state 9" {
		t.Errorf("DeliveryState(9) = %q", s)
	}
}

func TestBadge(t *testing.T) {
	test.NewTempApp(t)
	b := NewBadge(0)
	show(t, container.NewHBox(b), fyne.NewSize(100, 40))
	r := test.TempWidgetRenderer(t, b).(*badgeRenderer)
	if b.Text() != "" || !r.dot.Hidden || !r.text.Hidden || !b.MinSize().IsZero() {
		t.Errorf("zero badge: text %q, dot hidden %v, min size %v", b.Text(), r.dot.Hidden, b.MinSize())
	}
	for _, tc := range []struct {
		n    int
		want string
	}{{1, "1"}, {42, "42"}, {99, "99"}, {100, "99+"}, {-3, ""}} {
		b.SetCount(tc.n)
		if b.Text() != tc.want || r.text.Text != tc.want || b.Count() != tc.n {
			t.Errorf("count %d: Text %q, drawn %q, want %q", tc.n, b.Text(), r.text.Text, tc.want)
		}
		if r.dot.Hidden != (tc.want == "") {
			t.Errorf("count %d: dot hidden %v", tc.n, r.dot.Hidden)
		}
	}
	b.SetCount(7)
	one := b.MinSize()
	if one.Width != one.Height {
		t.Errorf("a one-digit badge is %v, not a circle", one)
	}
	b.SetCount(120)
	if wide := b.MinSize(); wide.Width <= one.Width || wide.Height != one.Height {
		t.Errorf("a 99+ badge is %v, the one-digit one %v", wide, one)
	}
	if !sameColor(r.dot.FillColor, testColor(theme.ColorNamePrimary)) {
		t.Errorf("badge colour %v", r.dot.FillColor)
	}
	test.AssertObjectRendersToMarkup(t, "badge.xml", b)
}
