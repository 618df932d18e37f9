package widgets

import (
	"image/color"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// DefaultBubbleWidth is the widest a ChatBubble grows before its text wraps,
// when its MaxWidth is zero.
const DefaultBubbleWidth = 420

// BubbleTimeFormat is the layout of the time shown in a ChatBubble.
const BubbleTimeFormat = "15:04"

// DeliveryState is how far an outgoing message has got.
type DeliveryState int

// Delivery states of an outgoing message.
const (
	StateQueued    DeliveryState = iota // waiting for a connection or a key
	StateSent                           // written to the peer's connection
	StateDelivered                      // acknowledged by the peer
	StateFailed                         // given up on
)

// String returns "queued", "sent", "delivered" or "failed".
func (s DeliveryState) String() string {
	switch s {
	case StateQueued:
		return "queued"
	case StateSent:
		return "sent"
	case StateDelivered:
		return "delivered"
	case StateFailed:
		return "failed"
	}
	return "state " + strconv.Itoa(int(s))
}

// ChatMessage is what a ChatBubble shows.
type ChatMessage struct {
	Sender   string        // display name of the author
	Time     time.Time     // when it was written, shown as BubbleTimeFormat in Time's location; zero hides it
	Text     string        // the message; wraps at the bubble's width
	Outgoing bool          // written by this user: aligned right and tinted
	State    DeliveryState // shown for outgoing messages only
	Epoch    uint64        // key epoch the message was encrypted under, shown as "epoch N"; 0 (queued) shows no lock
}

// EpochText returns the key epoch as shown next to the lock, "epoch 3";
// "" for epoch 0, a message not yet encrypted (queued), which shows no
// lock.
func (m ChatMessage) EpochText() string {
	if m.Epoch == 0 {
		return ""
	}
	return "epoch " + strconv.FormatUint(m.Epoch, 10)
}

// ChatBubble is one chat message: a rounded bubble with the sender, the
// wrapped text, and a footer with the time, a lock with the key epoch and,
// for outgoing messages, the delivery state. Outgoing bubbles are tinted with
// the primary colour and aligned right; incoming ones are aligned left.
//
// Its minimum size is the bubble's: lay it out in a container as wide as
// the chat (a VBox or a List) and the bubble keeps to its side.
//
// Use it from the Fyne UI goroutine only; see the package documentation.
type ChatBubble struct {
	widget.BaseWidget

	// MaxWidth is the widest the bubble grows before its text wraps; zero
	// means DefaultBubbleWidth. Call Refresh after changing it.
	MaxWidth float32

	msg ChatMessage
}

// NewChatBubble returns a bubble showing m.
func NewChatBubble(m ChatMessage) *ChatBubble {
	b := &ChatBubble{msg: m}
	b.ExtendBaseWidget(b)
	return b
}

// Message returns the message shown.
func (b *ChatBubble) Message() ChatMessage { return b.msg }

// SetMessage shows m.
func (b *ChatBubble) SetMessage(m ChatMessage) {
	b.msg = m
	b.Refresh()
}

// SetState changes the delivery state shown.
func (b *ChatBubble) SetState(s DeliveryState) {
	b.msg.State = s
	b.Refresh()
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (b *ChatBubble) CreateRenderer() fyne.WidgetRenderer {
	b.ExtendBaseWidget(b)
	r := &bubbleRenderer{
		b:         b,
		bg:        canvas.NewRectangle(color.Transparent),
		sender:    canvas.NewText("", color.Black),
		body:      widget.NewLabel(""),
		time:      canvas.NewText("", color.Black),
		lock:      widget.NewIcon(LockIcon()),
		epoch:     canvas.NewText("", color.Black),
		stateIcon: widget.NewIcon(nil),
		state:     canvas.NewText("", color.Black),
	}
	r.sender.TextStyle.Bold = true
	r.body.Wrapping = fyne.TextWrapWord
	r.objects = []fyne.CanvasObject{r.bg, r.sender, r.body, r.time, r.lock, r.epoch, r.stateIcon, r.state}
	r.update()
	return r
}

type bubbleRenderer struct {
	b         *ChatBubble
	bg        *canvas.Rectangle
	sender    *canvas.Text
	body      *widget.Label
	time      *canvas.Text
	lock      *widget.Icon
	epoch     *canvas.Text
	stateIcon *widget.Icon
	state     *canvas.Text
	objects   []fyne.CanvasObject

	bubbleSize fyne.Size // size of the bubble, from the last measure
	footer     []fyne.CanvasObject
}

func (r *bubbleRenderer) update() {
	b := r.b
	m := b.msg
	th := b.Theme()
	fg := themeColor(th, theme.ColorNameForeground)
	muted := themeColor(th, theme.ColorNamePlaceHolder)
	small := th.Size(theme.SizeNameCaptionText)

	r.bg.CornerRadius = 2 * th.Size(theme.SizeNameInputRadius)
	if m.Outgoing {
		r.bg.FillColor = withAlpha(themeColor(th, theme.ColorNamePrimary), 0x40)
	} else {
		r.bg.FillColor = themeColor(th, theme.ColorNameInputBackground)
	}
	r.sender.Text, r.sender.Color, r.sender.TextSize = m.Sender, fg, small
	r.sender.Hidden = m.Sender == ""
	if r.body.Text != m.Text {
		r.body.SetText(m.Text)
	}
	r.time.Text, r.time.Color, r.time.TextSize = "", muted, small
	if !m.Time.IsZero() {
		r.time.Text = m.Time.Format(BubbleTimeFormat)
	}
	r.time.Hidden = r.time.Text == ""
	r.epoch.Text, r.epoch.Color, r.epoch.TextSize = m.EpochText(), muted, small
	r.epoch.Hidden = m.Epoch == 0
	r.lock.Hidden = m.Epoch == 0

	r.state.Text, r.state.Color, r.state.TextSize = m.State.String(), muted, small
	var icon fyne.Resource
	switch m.State {
	case StateQueued:
		icon = theme.HistoryIcon()
	case StateSent:
		icon = theme.ConfirmIcon()
	case StateDelivered:
		icon = DeliveredIcon()
	case StateFailed:
		icon = theme.ErrorIcon()
		r.state.Color = themeColor(th, theme.ColorNameError)
	}
	if r.stateIcon.Resource != icon {
		r.stateIcon.SetResource(icon)
	}
	r.state.Hidden = !m.Outgoing
	r.stateIcon.Hidden = !m.Outgoing || icon == nil

	r.footer = r.footer[:0]
	for _, o := range []fyne.CanvasObject{r.time, r.lock, r.epoch, r.stateIcon, r.state} {
		if o.Visible() {
			r.footer = append(r.footer, o)
		}
	}
}

// metrics are the spacings of a bubble.
func (r *bubbleRenderer) metrics() (inset, smallH, iconSize, gap float32) {
	th := r.b.Theme()
	inset = th.Size(theme.SizeNameInnerPadding)
	smallH = fyne.MeasureText("0", r.time.TextSize, r.time.TextStyle).Height
	iconSize = smallH
	gap = th.Size(theme.SizeNamePadding)
	return
}

// footerWidth is the width of the footer's visible parts with gaps between.
func (r *bubbleRenderer) footerWidth() float32 {
	_, _, iconSize, gap := r.metrics()
	w := float32(0)
	for i, o := range r.footer {
		if i > 0 {
			w += gap
			if o == r.epoch || o == r.state {
				w -= gap / 2 // keep each text close to its icon
			}
		}
		if t, ok := o.(*canvas.Text); ok {
			w += fyne.MeasureText(t.Text, t.TextSize, t.TextStyle).Width
		} else {
			w += iconSize
		}
	}
	return w
}

// measure computes the bubble's size for the current message and theme and
// sizes the body label so that it wraps at the bubble's width.
func (r *bubbleRenderer) measure() fyne.Size {
	inset, smallH, _, _ := r.metrics()
	th := r.b.Theme()
	maxW := r.b.MaxWidth
	if maxW <= 0 {
		maxW = DefaultBubbleWidth
	}
	textSize := th.Size(theme.SizeNameText)
	lineW := float32(0)
	for _, line := range strings.Split(r.b.msg.Text, "\n") {
		lineW = fyne.Max(lineW, fyne.MeasureText(line, textSize, r.body.TextStyle).Width)
	}
	senderW := float32(0)
	if !r.sender.Hidden {
		senderW = fyne.MeasureText(r.sender.Text, r.sender.TextSize, r.sender.TextStyle).Width
	}
	footerW := r.footerWidth()
	// A little slack stops the label from wrapping a line that measured
	// exactly as wide as the bubble.
	w := fyne.Max(lineW+2, fyne.Max(senderW, footerW)) + 2*inset
	w = fyne.Min(w, fyne.Max(maxW, footerW+2*inset))

	r.body.Resize(fyne.NewSize(w, r.body.Size().Height))
	bodyH := r.body.MinSize().Height
	h := inset / 2
	if !r.sender.Hidden {
		h += smallH
	}
	h += bodyH - inset // the label's own inset, less a padding above and below
	h += smallH + inset
	r.bubbleSize = fyne.NewSize(w, h)
	return r.bubbleSize
}

func (r *bubbleRenderer) Layout(size fyne.Size) {
	inset, smallH, iconSize, gap := r.metrics()
	bs := r.measure()
	x := float32(0)
	if r.b.msg.Outgoing {
		x = size.Width - bs.Width
	}
	r.bg.Move(fyne.NewPos(x, 0))
	r.bg.Resize(bs)

	y := inset / 2
	if !r.sender.Hidden {
		r.sender.Move(fyne.NewPos(x+inset, y))
		r.sender.Resize(fyne.NewSize(bs.Width-2*inset, smallH))
		y += smallH
	}
	bodyH := r.body.MinSize().Height
	r.body.Move(fyne.NewPos(x, y-inset/2))
	r.body.Resize(fyne.NewSize(bs.Width, bodyH))
	y += bodyH - inset

	// The footer sits at the bubble's trailing edge.
	fx := x + bs.Width - inset - r.footerWidth()
	for i, o := range r.footer {
		if i > 0 {
			fx += gap
			if o == r.epoch || o == r.state {
				fx -= gap / 2
			}
		}
		if t, ok := o.(*canvas.Text); ok {
			w := fyne.MeasureText(t.Text, t.TextSize, t.TextStyle).Width
			t.Move(fyne.NewPos(fx, y))
			t.Resize(fyne.NewSize(w, smallH))
			fx += w
		} else {
			o.Move(fyne.NewPos(fx, y+(smallH-iconSize)/2))
			o.Resize(fyne.NewSquareSize(iconSize))
			fx += iconSize
		}
	}
}

func (r *bubbleRenderer) MinSize() fyne.Size { return r.measure() }

func (r *bubbleRenderer) Refresh() {
	r.update()
	r.Layout(r.b.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *bubbleRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *bubbleRenderer) Destroy() {}
